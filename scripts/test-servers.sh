#!/usr/bin/env bash
# Builds the real servers the forge and wait tests start (tests/it/forge.rs,
# tests/it/wait.rs) from their Go modules, through the Go module proxy:
#   gitea-1.26.0/gitea                    code.gitea.io/gitea (sqlite tags)
#   kube-apiserver-1.37.2/kube-apiserver  k8s.io/kubernetes/cmd/kube-apiserver
# into ${MLOPS_TEST_SERVERS:-$HOME/.cache/mlops-test-servers}, reused when
# present (never inside the repository). etcd comes from Debian's
# etcd-server. The wrapper modules are scripts/test-servers/*/go.mod.
# Usage: scripts/test-servers.sh [gitea|kube-apiserver]...   (default: both)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${MLOPS_TEST_SERVERS:-$HOME/.cache/mlops-test-servers}"
# Go from the machine's toolchain (/usr/local/go on the project's machines).
command -v go >/dev/null || export PATH="/usr/local/go/bin:$PATH"
GITEA_VERSION=1.26.0
KUBE_VERSION=1.37.2

# build NAME VERSION PACKAGE TAGS: one wrapper module, one binary.
build() {
    local name=$1 version=$2 package=$3 tags=$4
    local dir="$cache/$name-$version"
    if [ -x "$dir/$name" ]; then
        echo "test-servers: $name $version already built in $dir"
        return
    fi
    mkdir -p "$dir"
    cp "$here/test-servers/$name/go.mod" "$dir/go.mod"
    echo "test-servers: building $name $version into $dir"
    local start=$SECONDS
    # -mod=mod lets go write the wrapper's go.sum (checked against
    # sum.golang.org) as it resolves the release's requirements.
    (cd "$dir" && CGO_ENABLED=1 go build -mod=mod -trimpath -tags "$tags" \
        -o "$dir/$name.tmp" "$package")
    mv "$dir/$name.tmp" "$dir/$name"
    echo "test-servers: built $name in $((SECONDS - start)) s"
}

gitea() {
    build gitea "$GITEA_VERSION" code.gitea.io/gitea 'sqlite sqlite_unlock_notify'
    # Without the bindata tag Gitea reads its templates and options from
    # its work path: point the tests at the release's source tree.
    local src
    src="$(cd "$cache/gitea-$GITEA_VERSION" && go list -mod=mod -m -f '{{.Dir}}' code.gitea.io/gitea)"
    ln -sfn "$src" "$cache/gitea-$GITEA_VERSION/src"
}

kube_apiserver() {
    build kube-apiserver "$KUBE_VERSION" k8s.io/kubernetes/cmd/kube-apiserver ''
}

[ $# -gt 0 ] || set -- gitea kube-apiserver
for server in "$@"; do
    case "$server" in
        gitea) gitea ;;
        kube-apiserver) kube_apiserver ;;
        *) echo "test-servers: unknown server '$server' (gitea, kube-apiserver)" >&2; exit 2 ;;
    esac
done
