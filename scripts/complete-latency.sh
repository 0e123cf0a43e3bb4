#!/usr/bin/env bash
# Measures what one Tab costs on a generated repository of 10,000 models
# (one environment holding them all, the worst case for listing), with the
# release binary. Usage: scripts/complete-latency.sh [MODELS]
# Prints hyperfine's figures when hyperfine is installed, else the mean of
# 50 runs (wall, user, sys) from bash's `time`.
set -euo pipefail
models=${1:-10000}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin="$root/target/release/mlops"
repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT
body=$(cat "$root/fixtures/configs/workshop-example.yaml")
for ((i = 0; i < models; i++)); do
  d="$repo/model-deployments/test/model-$(printf %05d "$i")"
  mkdir -p "$d"
  # Every third model already autoscales, so the ordering has work to do.
  if ((i % 3 == 0)); then printf '%s\nautoscaling: true\n' "$body"; else printf '%s\n' "$body"; fi >"$d/config.yaml"
done
mkdir -p "$repo/model-deployments/prod/jukebox" && printf '%s\n' "$body" >"$repo/model-deployments/prod/jukebox/config.yaml"
cd "$repo"
export COMPLETE=bash _CLAP_IFS=$'\n'
cases=(
  "4|mlops autoscale enable --env t"
  "5|mlops autoscale enable --env test model-012"
  "5|mlops autoscale disable --env test model-0"
  "5|mlops autoscale enable --env test ''"
)
for c in "${cases[@]}"; do
  index=${c%%|*} line=${c#*|}
  echo "== $line<Tab>  ($(eval "_CLAP_COMPLETE_INDEX=$index $bin -- $line" | grep -c "") candidates)"
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 5 --runs 100 "env _CLAP_COMPLETE_INDEX=$index $bin -- $line" | grep -E "Time|Range"
  else
    time (for _ in $(seq 50); do eval "_CLAP_COMPLETE_INDEX=$index $bin -- $line" >/dev/null; done)
  fi
done
