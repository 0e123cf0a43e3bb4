#!/usr/bin/env bash
# `mlops autoscale status --output json` over 3 x 20,000 config files (the
# work tree, with its uncommitted and upstream columns) against `cat` of
# the same files, and its peak memory. On demand, never in CI:
#
#   bench/status.sh [ROUNDS] [--mlops PATH]
#
# Prints the median paired ratio status/cat (goal: at most 1.5) and the
# peak resident set size (goal: at most 64 MiB), and checks that status
# flags exactly the files `git status` lists. The checkout has a few
# uncommitted edits (staged and not) and a local commit, so both columns
# have work. --mlops PATH measures that binary (e.g. another branch's
# build) instead of building target/release/mlops.
#
# Needs python3, git and /usr/bin/time (Debian: apt-get install time).
# The repository is generated once under target/bench/r20k (bench/gen.py,
# shared with `bench/run.sh status`; about a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
rounds=10
mlops=
while [ $# -gt 0 ]; do
    case $1 in
        --mlops) mlops=$(realpath "${2:?--mlops needs a path}"); shift 2 ;;
        *) rounds=$1; shift ;;
    esac
done
export PATH="$HOME/.cargo/bin:$PATH" LC_ALL=C NO_COLOR=1
[ -x /usr/bin/time ] || { echo "missing: /usr/bin/time (apt-get install time)" >&2; exit 1; }
if [ -z "$mlops" ]; then
    cargo build --release --quiet
    mlops=$root/target/release/mlops
fi

out=$root/target/bench
export HOME=$out/home GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
mkdir -p "$HOME"
printf '[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n' >"$HOME/.gitconfig"
dir=$out/r20k
if [ ! -d "$dir/remote.git" ]; then
    rm -rf "$dir"
    python3 bench/gen.py "$dir" --models 20000 --commits 300 >&2
fi
work=$dir/status-work
if [ ! -d "$work" ]; then
    git clone -q "$dir/remote.git" "$work"
    # A local commit (ahead of origin/main), a staged and an unstaged edit.
    printf 'autoscaling: true\n' >>"$work/model-deployments/prod/model-00001/config.yaml"
    git -C "$work" commit -qam "A local commit"
    printf 'keda: true\n' >>"$work/model-deployments/test/model-00002/config.yaml"
    git -C "$work" add model-deployments/test/model-00002/config.yaml
    printf 'replicas: 2\n' >>"$work/model-deployments/stage/model-00003/config.yaml"
fi

echo "files: $(git -C "$work" ls-files model-deployments | wc -l), load: $(cut -d' ' -f1-3 /proc/loadavg), $($mlops --version)"
printf '#!/bin/sh\ncd "$1" && find model-deployments -name config.yaml -print0 | xargs -0 cat >/dev/null\n' >"$out/cat-all"
chmod +x "$out/cat-all"
python3 - "$rounds" "$mlops" "$work" "$out/cat-all" <<'EOF'
import os, sys
sys.path.insert(0, "bench")
from common import ms, paired, ratio, timed
rounds, mlops, work, cat = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
commands = {"mlops": [mlops, "-C", work, "autoscale", "status", "--output", "json"], "git": [cat, work]}
figures = paired(lambda side: timed(commands[side], os.environ), rounds, 2)
r = ratio(figures)
print(f"status --output json: median {ms(figures['mlops']):.0f} ms; cat of every config.yaml: {ms(figures['git']):.0f} ms")
print(f"median paired ratio status/cat over {rounds} rounds: {r:.2f}; goal <= 1.5: {'MET' if r <= 1.5 else 'MISSED'}")
EOF
/usr/bin/time -f "%M" -o "$out/status-rss" "$mlops" -C "$work" autoscale status --output json >"$out/status-json"
awk '{printf "peak RSS %.1f MiB; goal <= 64 MiB: %s\n", $1/1024, ($1 <= 65536 ? "MET" : "MISSED")}' "$out/status-rss"
python3 - "$out/status-json" "$work" <<'EOF'
import json, subprocess, sys
rows = json.load(open(sys.argv[1]))
ours = sorted(r["path"] for r in rows if r["uncommitted"])
porcelain = subprocess.run(["git", "-C", sys.argv[2], "status", "--porcelain"], capture_output=True, text=True, check=True).stdout
git = sorted(l[3:] for l in porcelain.splitlines() if l[3:].endswith("/config.yaml"))
upstream = sum(1 for r in rows if r["differs_from_upstream"])
ok = ours == git
print(f"{len(rows)} rows; uncommitted {len(ours)} (git status: {len(git)}), differs from upstream {upstream}: {'AS GIT' if ok else 'DIFFERENT'}")
sys.exit(0 if ok else 1)
EOF
