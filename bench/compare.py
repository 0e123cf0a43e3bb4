#!/usr/bin/env python3
"""mlops against the git CLI workflow, paired and alternating.

    bench/compare.py DIR --mlops target/release/mlops [--mode checkout|clone] [--rounds 30]

DIR comes from bench/gen.py (DIR/remote.git, DIR/absent-test.txt). Each
round turns autoscaling on for one model of `test` that has no
`autoscaling` key, once with mlops and once with the git CLI, each a
different model, each a real commit that reaches the bare remote (checked
after every run, outside the timing). The order within a round alternates
so neither side always runs on a warmer cache or a fresher remote.

checkout mode (the workshop's way, in a clone that is kept between rounds):
  git:   git pull --ff-only; append `autoscaling: true`; git add; git commit; git push
  mlops: mlops -C CLONE autoscale enable --env test MODEL --yes
clone mode (CI's way, nothing kept):
  git:   git clone --depth 1; append; git add; git commit; git push; rm -rf
  mlops: mlops --clone URL autoscale enable --env test MODEL --yes

The git side's edit is a shell append (`printf >>`), the cheapest edit
there is, so the comparison favours the git CLI; a yq edit would add a
process and a YAML round trip (and lose the file's comments).

Prints the medians and the median of the per-round ratio mlops/git, and
the goal: mlops at most half the git CLI's wall time.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

GIT_CHECKOUT = r"""set -e
cd "$1"
git pull -q --ff-only
printf 'autoscaling: true\n' >> "model-deployments/test/$2/config.yaml"
git add "model-deployments/test/$2/config.yaml"
git commit -q -m "Enable autoscaling for $2 in test"
git push -q
"""

GIT_CLONE = r"""set -e
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --depth 1 "$1" "$tmp/r"
cd "$tmp/r"
printf 'autoscaling: true\n' >> "model-deployments/test/$2/config.yaml"
git add "model-deployments/test/$2/config.yaml"
git commit -q -m "Enable autoscaling for $2 in test"
git push -q
"""


def sandbox_env(home):
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, ".gitconfig"), "w") as f:
        f.write("[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "MLOPS_"))}
    env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"), GIT_CONFIG_NOSYSTEM="1",
               GIT_TERMINAL_PROMPT="0", NO_COLOR="1", LC_ALL="C")
    return env


def timed(cmd, env):
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')}")
    return elapsed


def on_remote(remote, model, env):
    path = f"main:model-deployments/test/{model}/config.yaml"
    text = subprocess.run(["git", "-C", remote, "show", path], env=env, capture_output=True, check=True).stdout
    return b"\nautoscaling: true\n" in text


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--mlops", required=True)
    ap.add_argument("--mode", choices=["checkout", "clone"], default="checkout")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--json", help="write the raw figures here")
    ap.add_argument("--only", choices=["git", "mlops"], help="time one side alone (no comparison)")
    args = ap.parse_args()

    root = os.path.abspath(args.dir)
    remote = os.path.join(root, "remote.git")
    url = "file://" + remote
    mlops = os.path.abspath(args.mlops)
    env = sandbox_env(os.path.join(root, "home"))
    with open(os.path.join(root, "absent-test.txt")) as f:
        used = set()
        if os.path.exists(os.path.join(root, "used.txt")):
            used = set(open(os.path.join(root, "used.txt")).read().split())
        models = [m for m in f.read().split() if m not in used]
    need = 2 * (args.rounds + args.warmup)
    if len(models) < need:
        sys.exit(f"only {len(models)} unused models left in {root}: regenerate it (rm -rf {root})")

    clones = {}
    if args.mode == "checkout":
        for side in ("git", "mlops"):
            clones[side] = os.path.join(root, f"clone-{side}")
            if not os.path.exists(clones[side]):
                subprocess.run(["git", "clone", "-q", url, clones[side]], env=env, check=True)

    def run(side, model):
        if side == "git":
            script = GIT_CHECKOUT if args.mode == "checkout" else GIT_CLONE
            target = clones["git"] if args.mode == "checkout" else url
            cmd = ["bash", "-c", script, "git-workflow", target, model]
        elif args.mode == "checkout":
            cmd = [mlops, "-C", clones["mlops"], "autoscale", "enable", "--env", "test", model, "--yes"]
        else:
            cmd = [mlops, "--clone", url, "autoscale", "enable", "--env", "test", model, "--yes"]
        t = timed(cmd, env)
        with open(os.path.join(root, "used.txt"), "a") as f:
            f.write(model + "\n")
        if not on_remote(remote, model, env):
            sys.exit(f"{side}: {model} did not reach the remote")
        return t

    figures = {"git": [], "mlops": []}
    for r in range(args.warmup + args.rounds):
        order = ("git", "mlops") if r % 2 == 0 else ("mlops", "git")
        if args.only:
            order = (args.only,)
        for side in order:
            t = run(side, models.pop(0))
            if r >= args.warmup:
                figures[side].append(t)

    if args.only:
        xs = figures[args.only]
        print(f"{args.only} alone, {args.mode} mode, {len(xs)} runs, {os.path.basename(root)}: "
              f"median {statistics.median(xs) * 1000:.1f} ms (min {min(xs) * 1000:.1f}, max {max(xs) * 1000:.1f})")
        return 0
    g, m = figures["git"], figures["mlops"]
    ratios = [b / a for a, b in zip(g, m)]
    ms = lambda xs: f"{statistics.median(xs) * 1000:.1f} ms"
    ratio = statistics.median(ratios)
    print(f"{args.mode} mode, {args.rounds} paired rounds (+{args.warmup} warm-up), {os.path.basename(root)}:")
    print(f"  git CLI workflow  median {ms(g)}  (min {min(g) * 1000:.1f}, max {max(g) * 1000:.1f})")
    print(f"  mlops             median {ms(m)}  (min {min(m) * 1000:.1f}, max {max(m) * 1000:.1f})")
    verdict = "MET" if ratio <= 0.5 else "MISSED"
    print(f"  median of paired ratios mlops/git = {ratio:.2f}  (goal <= 0.50: {verdict})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"mode": args.mode, "dir": root, "git": g, "mlops": m, "ratio_median": ratio}, f)
    return 0 if ratio <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
