#!/usr/bin/env bash
# `mlops log` of one model against `git log` of its config.yaml, on a
# repository of 20,000 commits over 6,000 files (3 environments x 2,000
# models, bench/gen.py). On demand, never in CI:
#
#   bench/log.sh [ROUNDS]
#
# Needs python3 and git.
# The repository is generated once under target/bench/log (about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=$root/target/bench/log
rounds=${1:-20}
export PATH="$HOME/.cargo/bin:$PATH" LC_ALL=C NO_COLOR=1

cargo build --release --quiet
mlops=$root/target/release/mlops
if [ ! -d "$out/work" ]; then
    rm -rf "$out"
    python3 bench/gen.py "$out/gen" --models 2000 --commits 20000 >&2
    git clone -q "$out/gen/remote.git" "$out/work"
    # As a forge keeps it: one pack written by git (fast-import's pack has
    # long delta chains that no gc'ed repository has).
    git -C "$out/work" repack -adq
fi
cd "$out/work"
model=model-00007
file=model-deployments/test/$model/config.yaml
echo "commits: $(git rev-list --count HEAD), files: $(git ls-files | wc -l), commits changing $file: $(git log --oneline -- "$file" | wc -l)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
# The git side's --format has spaces: it is run through a one-word wrapper.
printf '#!/bin/sh\nexec git log --format="%%H %%an %%ad" -- "$1"\n' >"$out/git-log"
chmod +x "$out/git-log"
python3 "$root/bench/paired.py" "$rounds" "$mlops log test/$model" "$out/git-log $file"
