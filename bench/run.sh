#!/usr/bin/env bash
# The benchmarks of docs/performance.md, on demand (never in CI):
#
#   bench/run.sh [--mlops PATH] [all|compare|clone|status|enable|startup|transports]...
#
#   compare  mlops vs the git CLI workflow in a kept checkout (paired, alternating)
#   clone    mlops --clone vs git clone --depth 1 + edit + commit + push
#   status   status over 3 x 20,000 config files vs cat; peak memory; every value checked
#   enable   enable's cost at 3 x 2,000 and 3 x 20,000 models (time and files touched)
#   startup  mlops --version and a completion call
#   transports  mlops vs the git CLI over path, HTTP, HTTPS and SSH servers on 127.0.0.1,
#            on loopback and +40 ms RTT, up to date / behind / --clone, requests,
#            connections and bytes per run, and enable's growth to 3 x 20,000 models
#            (bench/transports.py; not in `all`: about 25 minutes here, more the first
#            time it generates 3 x 20,000; as root it makes the SSH account
#            mlops-forge; writes target/bench/transports.md)
#
# --mlops PATH measures that binary instead of building target/release/mlops
# from this worktree (e.g. another branch's build, for a before/after).
#
# Repositories are generated once under target/bench/ (bench/gen.py: a bare
# remote with a few hundred commits) and reused; `rm -rf target/bench` to
# start over. Needs hyperfine, python3, git, strace and /usr/bin/time
# (Debian: apt-get install hyperfine strace time); transports also needs
# lighttpd, sshd, ssh and openssl (apt-get install lighttpd openssh-server
# openssh-client openssl). ROUNDS=30 by default (transports: 20).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/target/bench
rounds=${ROUNDS:-30}
mkdir -p "$out"
export PATH="$HOME/.cargo/bin:$PATH" LC_ALL=C NO_COLOR=1

for tool in hyperfine python3 git strace /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "missing: $tool (apt-get install hyperfine strace time)" >&2; exit 1; }
done

mlops=
sections=()
while [ $# -gt 0 ]; do
    case $1 in
        --mlops) mlops=$(realpath "${2:?--mlops needs a path}"); shift 2 ;;
        *) sections+=("$1"); shift ;;
    esac
done
if [ -z "$mlops" ]; then
    cargo build --release --quiet
    mlops=$root/target/release/mlops
fi

# A sandboxed git identity and config, as in compare.py.
export HOME=$out/home GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
mkdir -p "$HOME"
printf '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n' >"$HOME/.gitconfig"

repo() { # repo NAME MODELS: generate once, return the directory
    local dir=$out/$1
    if [ ! -d "$dir/remote.git" ]; then
        rm -rf "$dir"
        python3 bench/gen.py "$dir" --models "$2" --commits 300 >&2
    fi
    echo "$dir"
}

checkout() { # checkout DIR: a clone used read-only (status, dry runs)
    [ -d "$1/work" ] || git clone -q "$1/remote.git" "$1/work"
    echo "$1/work"
}

note() { printf '\n== %s\n' "$*"; }

machine() {
    note "machine"
    echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "$($mlops --version), $(git --version), $(hyperfine --version)"
}

run_compare() {
    note "mlops vs the git CLI workflow (checkout, 3 x 2,000 models, 300 commits)"
    python3 bench/compare.py "$(repo r2k 2000)" --mlops "$mlops" --mode checkout --rounds "$rounds" \
        --json "$out/compare-checkout.json" || true
}

run_clone() {
    note "mlops --clone vs git clone --depth 1 workflow (3 x 2,000 models, 300 commits)"
    python3 bench/compare.py "$(repo r2k 2000)" --mlops "$mlops" --mode clone --rounds "$rounds" \
        --json "$out/compare-clone.json" || true
}

run_status() {
    local dir work
    dir=$(repo r20k 20000)
    work=$(checkout "$dir")
    note "status over 3 x 20,000 config files vs reading them with cat"
    hyperfine -N --warmup 3 --runs 15 --export-json "$out/status.json" \
        -n "mlops status --output json" "$mlops -C $work autoscale status --output json" \
        -n "mlops status (table)" "$mlops -C $work autoscale status" \
        -n "cat every config.yaml" "sh -c 'cd $work && find model-deployments -name config.yaml -print0 | xargs -0 cat'"
    python3 - "$out/status.json" <<'EOF'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
cat = r["cat every config.yaml"]
for name in ("mlops status --output json", "mlops status (table)"):
    ratio = r[name] / cat
    print(f"{name}: {r[name]*1000:.0f} ms = {ratio:.2f} x cat ({cat*1000:.0f} ms); goal <= 3: {'MET' if ratio <= 3 else 'MISSED'}")
EOF
    note "status peak memory (maximum resident set size)"
    /usr/bin/time -f "%M" -o "$out/status.rss" "$mlops" -C "$work" autoscale status --output json >"$out/status.out"
    awk '{printf "peak RSS %.1f MiB; goal < 64 MiB: %s\n", $1/1024, ($1 < 65536 ? "MET" : "MISSED")}' "$out/status.rss"
    note "status: every value right"
    python3 - "$dir/expected.json" "$out/status.out" <<'EOF'
import json, sys
expected = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
strip = lambda rows: [{k: r.get(k) for k in ("env", "model", "path", "autoscaling")} for r in rows]
bad = [(e, g) for e, g in zip(strip(expected), strip(got)) if e != g]
errors = [r for r in got if "error" in r]
ok = len(expected) == len(got) and not bad and not errors
print(f"{len(got)} rows, {len(expected)} expected, {len(bad)} wrong, {len(errors)} errors: {'ALL RIGHT' if ok else 'WRONG'}")
for e, g in bad[:5]:
    print("  expected", e, "got", g)
sys.exit(0 if ok else 1)
EOF
}

run_enable() {
    note "enable's cost does not grow with the number of models (dry run: find, read, edit, diff)"
    local small large
    small=$(checkout "$(repo r2k 2000)")
    large=$(checkout "$(repo r20k 20000)")
    hyperfine -N --warmup 3 --runs 30 --export-json "$out/enable.json" \
        -n "enable --dry-run, 3 x 2,000" "$mlops -C $small autoscale enable --env test model-00007 --dry-run --yes" \
        -n "enable --dry-run, 3 x 20,000" "$mlops -C $large autoscale enable --env test model-00007 --dry-run --yes"
    for w in "$small" "$large"; do
        strace -f -c -o "$out/strace.txt" "$mlops" -C "$w" autoscale enable --env test model-00007 --dry-run --yes >/dev/null
        awk -v w="$(basename "$(dirname "$w")")" '
            $NF ~ /^(openat|open|statx|newfstatat|lstat|stat|getdents64|read)$/ { n[$NF] = $4 }
            END { printf "%s: syscalls openat %d, stat-like %d, getdents64 %d, read %d\n", w, n["openat"], n["statx"] + n["newfstatat"] + n["lstat"] + n["stat"], n["getdents64"], n["read"] }' "$out/strace.txt"
    done
    note "enable with commit and push, one model per run (3 x 2,000 vs 3 x 20,000)"
    for dir in "$(repo r2k 2000)" "$(repo r20k 20000)"; do
        python3 bench/compare.py "$dir" --mlops "$mlops" --only mlops --rounds 10 || true
    done
    note "for scale: the git CLI workflow beside mlops at 3 x 20,000 (both parse the index and build packs)"
    python3 bench/compare.py "$(repo r20k 20000)" --mlops "$mlops" --mode checkout --rounds 6 || true
}

run_transports() {
    local missing=
    for tool in /usr/sbin/lighttpd /usr/lib/lighttpd/mod_openssl.so /usr/lib/git-core/git-http-backend \
        /usr/sbin/sshd ssh ssh-keygen openssl; do
        [ -e "$tool" ] || command -v "$tool" >/dev/null || missing="$missing $tool"
    done
    if [ -n "$missing" ]; then
        echo "transports: missing$missing (apt-get install lighttpd openssh-server openssh-client openssl)" >&2
        return 1
    fi
    note "mlops vs the git CLI over path, HTTP, HTTPS and SSH on 127.0.0.1 (bench/transports.py)"
    python3 bench/transports.py --mlops "$mlops" --out "$out" --rounds "${ROUNDS:-20}" --growth
}

run_startup() {
    note "start-up: --version and one completion call"
    local work
    work=$(checkout "$(repo r2k 2000)")
    hyperfine -N --warmup 5 --runs 50 --export-json "$out/startup.json" \
        -n "mlops --version" "$mlops --version" \
        -n "mlops completions bash" "$mlops completions bash"
    if COMPLETE=bash "$mlops" -- mlops autoscale enable --env >/dev/null 2>&1; then
        (cd "$work" && hyperfine -N --warmup 5 --runs 50 \
            -n "dynamic completion of a model name (3 x 2,000)" \
            "env COMPLETE=bash _CLAP_COMPLETE_INDEX=5 $mlops -- mlops autoscale enable --env test model-0001")
    fi
}

[ ${#sections[@]} -eq 0 ] && sections=(all)
machine
for s in "${sections[@]}"; do
    case $s in
        all) run_startup; run_status; run_enable; run_compare; run_clone ;;
        compare | clone | status | enable | startup | transports) "run_$s" ;;
        *) echo "unknown section: $s" >&2; exit 2 ;;
    esac
done
