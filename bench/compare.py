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

The git side's edit is the cheapest there is (see bench/common.py), so the
comparison favours the git CLI.

Prints the medians and the median of the per-round ratio mlops/git, and
the goal: mlops at most half the git CLI's wall time.
"""

import argparse
import json
import os
import subprocess
import sys

from common import Models, ms, on_remote, paired, ratio, sandbox_env, timed, workflow


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
    models = Models(root, os.path.join(root, "used.txt"))
    models.need(2 * (args.rounds + args.warmup), f"regenerate it (rm -rf {root})")

    clones = {}
    if args.mode == "checkout":
        for side in ("git", "mlops"):
            clones[side] = os.path.join(root, f"clone-{side}")
            if not os.path.exists(clones[side]):
                subprocess.run(["git", "clone", "-q", url, clones[side]], env=env, check=True)

    def run(side):
        model = models.take()
        t = timed(workflow(side, args.mode, mlops, clones.get(side, url), model), env)
        if not on_remote(remote, model, env):
            sys.exit(f"{side}: {model} did not reach the remote")
        return t

    figures = paired(run, args.rounds, args.warmup, args.only)
    if args.only:
        xs = figures[args.only]
        print(f"{args.only} alone, {args.mode} mode, {len(xs)} runs, {os.path.basename(root)}: "
              f"median {ms(xs):.1f} ms (min {min(xs) * 1000:.1f}, max {max(xs) * 1000:.1f})")
        return 0
    g, m = figures["git"], figures["mlops"]
    r = ratio(figures)
    print(f"{args.mode} mode, {args.rounds} paired rounds (+{args.warmup} warm-up), {os.path.basename(root)}:")
    print(f"  git CLI workflow  median {ms(g):.1f} ms  (min {min(g) * 1000:.1f}, max {max(g) * 1000:.1f})")
    print(f"  mlops             median {ms(m):.1f} ms  (min {min(m) * 1000:.1f}, max {max(m) * 1000:.1f})")
    print(f"  median of paired ratios mlops/git = {r:.2f}  (goal <= 0.50: {'MET' if r <= 0.5 else 'MISSED'})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"mode": args.mode, "dir": root, "git": g, "mlops": m, "ratio_median": r}, f)
    return 0 if r <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
