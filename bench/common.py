"""What bench/compare.py and bench/transports.py share: the sandboxed
environment, the two workflows being compared (mlops and the git CLI),
the pool of models each round enables, the paired alternating rounds and
the summary figures.

The git side's edit is a shell append (`printf >>`), the cheapest edit
there is, so the comparison favours the git CLI; a yq edit would add a
process and a YAML round trip (and lose the file's comments).
"""

import os
import statistics
import subprocess
import sys
import time

# `git pull --ff-only; edit; add; commit; push` in a kept checkout ($1).
GIT_CHECKOUT = r"""set -e
cd "$1"
git pull -q --ff-only
printf 'autoscaling: true\n' >> "model-deployments/test/$2/config.yaml"
git add "model-deployments/test/$2/config.yaml"
git commit -q -m "Enable autoscaling for $2 in test"
git push -q
"""

# CI's way: a shallow single-branch clone of URL ($1), edit, commit, push.
GIT_CLONE = r"""set -e
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git clone -q --depth 1 --single-branch "$1" "$tmp/r"
cd "$tmp/r"
printf 'autoscaling: true\n' >> "model-deployments/test/$2/config.yaml"
git add "model-deployments/test/$2/config.yaml"
git commit -q -m "Enable autoscaling for $2 in test"
git push -q
"""

GITCONFIG = "[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n"


def sandbox_env(home, gitconfig_extra="", **extra):
    """A HOME of its own with a git identity (plus `gitconfig_extra`), and
    no GIT_*/MLOPS_* variable of the caller's; `extra` is added last."""
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, ".gitconfig"), "w") as f:
        f.write(GITCONFIG + gitconfig_extra)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "MLOPS_", "SSL_CERT_"))}
    env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"), GIT_CONFIG_NOSYSTEM="1",
               GIT_TERMINAL_PROMPT="0", NO_COLOR="1", LC_ALL="C")
    env.update(extra)
    return env


def workflow(side, mode, mlops, target, model):
    """The command line of one run: `side` is git or mlops, `mode` checkout
    (target: the kept clone) or clone (target: the remote's URL)."""
    if side == "git":
        script = GIT_CHECKOUT if mode == "checkout" else GIT_CLONE
        return ["bash", "-c", script, "git-workflow", target, model]
    where = ["-C", target] if mode == "checkout" else ["--clone", target]
    return [mlops, *where, "autoscale", "enable", "--env", "test", model, "--yes"]


def timed(cmd, env):
    """Wall time of `cmd` in seconds; exits the benchmark if it fails."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode(errors='replace')}")
    return elapsed


def on_remote(remote, model, env):
    """Whether `model` has `autoscaling: true` on the bare remote's main."""
    path = f"main:model-deployments/test/{model}/config.yaml"
    text = subprocess.run(["git", "-C", remote, "show", path], env=env, capture_output=True, check=True).stdout
    return b"\nautoscaling: true\n" in text


class Models:
    """The `test` models of a bench/gen.py repository that have no
    autoscaling key yet (DIR/absent-test.txt), less those a run already
    enabled (recorded in `used`, so a kept remote is never asked twice)."""

    def __init__(self, root, used):
        self.used = used
        taken = set(open(used).read().split()) if os.path.exists(used) else set()
        with open(os.path.join(root, "absent-test.txt")) as f:
            self.free = [m for m in f.read().split() if m not in taken]

    def need(self, n, hint):
        if len(self.free) < n:
            sys.exit(f"only {len(self.free)} unused models left, {n} needed: {hint}")

    def take(self):
        model = self.free.pop(0)
        with open(self.used, "a") as f:
            f.write(model + "\n")
        return model


def paired(run, rounds, warmup, only=None):
    """Calls run(side) for git and mlops once a round, alternating which
    goes first so neither always runs on a warmer cache or a fresher
    remote; returns {side: [seconds]} without the warm-up rounds."""
    figures = {"git": [], "mlops": []}
    for r in range(warmup + rounds):
        order = (only,) if only else ("git", "mlops") if r % 2 == 0 else ("mlops", "git")
        for side in order:
            t = run(side)
            if r >= warmup:
                figures[side].append(t)
    return figures


def ratio(figures):
    """The median of the per-round ratios mlops/git."""
    return statistics.median(m / g for g, m in zip(figures["git"], figures["mlops"]))


def ms(xs):
    return statistics.median(xs) * 1000
