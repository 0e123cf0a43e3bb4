#!/usr/bin/env python3
"""mlops against the git CLI workflow over the real transports, paired.

    bench/transports.py --mlops target/release/mlops [--out target/bench] [--rounds 20]
                        [--transports path,http,https,ssh] [--modes checkout,behind,clone] [--rtt-ms 40]
                        [--growth] [--growth-rounds 8] [--limit 5400]

Each transport serves a fresh copy of a bench/gen.py remote (3 x 2,000
models, 300 commits) from 127.0.0.1: a path on disk (file://), smart HTTP
with basic auth (lighttpd + git http-backend), the same over HTTPS with a
CA made here, and OpenSSH's sshd with key auth (bench/servers.py). Each is
timed on loopback and behind bench/latency.py's proxy adding the round
trip of --rtt-ms. Rounds are paired and alternating (bench/common.py):
mlops and the git CLI workflow each enable one different model, a real
commit checked on the remote outside the timing. Modes: `checkout`, a
kept checkout that is up to date; `behind`, the same after a colleague
pushed a commit (another model's file) to the remote, so the run must
fetch and bring the checkout along, as `git pull` does; `clone`, mlops
--clone against `git clone --depth 1`. Each side has a remote of its own,
served alike, so neither side's pushes change the other's situation.

Both sides share one sandbox HOME: credentials from `credential.helper=store`
(~/.git-credentials), the CA through SSL_CERT_FILE and GIT_SSL_CAINFO, the
SSH key and known_hosts under ~/.ssh, reached through GIT_SSH_COMMAND
(`ssh -F ~/.ssh/config`). Per run it counts HTTP requests and 401s from
lighttpd's access log, SSH connections from sshd's log, and TCP
connections and bytes each way at the proxy.

--growth adds `enable` with a push at 3 x 200, 3 x 2,000 and 3 x 20,000
models over a path remote and over HTTP on loopback.

Writes OUT/transports.md (printed too) and OUT/transports.json.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from common import Models, ms, on_remote, paired, ratio, sandbox_env, timed, workflow
from latency import Proxy
from report import growth_table, transport_tables
from servers import Http, Sshd, forge_user, keygen, make_pki, requests_by_run, serve_as

HERE = os.path.dirname(os.path.abspath(__file__))
USER, PASSWORD = "bench", "bench-secret-0"
NAMES = {"path": "path on disk (file://)", "http": "smart HTTP, basic auth (lighttpd + git http-backend)",
         "https": "HTTPS, basic auth (lighttpd mod_openssl, the benchmark's CA)", "ssh": "SSH (OpenSSH sshd, key auth)"}


def pristine(out, models):
    """The generated repository (bench/gen.py) for `models`, made once."""
    folder = os.path.join(out, f"t{models}")
    if not os.path.exists(os.path.join(folder, "absent-test.txt")):
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), folder, "--models", str(models),
                        "--commits", "300"], check=True, stdout=sys.stderr)
    return folder


class Sandbox:
    """The HOME both sides run in, and what each server needs of it."""

    def __init__(self, folder):
        self.home = os.path.join(folder, "home")
        self.ssh = os.path.join(self.home, ".ssh")
        os.makedirs(self.ssh, exist_ok=True)
        self.key = os.path.join(self.ssh, "id_ed25519")
        keygen(self.key)
        self.ca = make_pki(os.path.join(folder, "pki"))
        config = os.path.join(self.ssh, "config")
        with open(config, "w") as f:
            f.write(f"Host 127.0.0.1\n  IdentityFile {self.key}\n  IdentitiesOnly yes\n"
                    f"  UserKnownHostsFile {self.ssh}/known_hosts\n  StrictHostKeyChecking yes\n  BatchMode yes\n")
        trust = "[credential]\n\thelper = store\n[safe]\n\tdirectory = *\n"  # safe: remotes owned by the forge user
        self.env = sandbox_env(self.home, trust, SSL_CERT_FILE=self.ca[0], GIT_SSL_CAINFO=self.ca[0], GIT_SSH_COMMAND=f"ssh -F {config}")

    def trust(self, transport, port, server):
        """Credentials (HTTP) or the host key (SSH) for 127.0.0.1:port."""
        if transport in ("http", "https"):
            with open(os.path.join(self.home, ".git-credentials"), "a") as f:
                f.write(f"{transport}://{USER}:{PASSWORD}@127.0.0.1:{port}\n")
        elif transport == "ssh":
            with open(os.path.join(self.ssh, "known_hosts"), "a") as f:
                f.write(server.known_hosts_line(port))


class Bench:
    def __init__(self, args, sandbox):
        self.args, self.sandbox, self.env = args, sandbox, sandbox.env
        self.deadline = time.monotonic() + args.limit
        self.forge = forge_user()

    def served(self, transport, folder, stack):
        """Starts the server of `transport` over `folder` (None for a path)."""
        if transport in ("http", "https"):
            ca = self.sandbox.ca if transport == "https" else None
            return stack.enter_context(Http(os.path.join(folder, "lighttpd"), folder, USER, PASSWORD, ca).serve())
        if transport == "ssh":
            return stack.enter_context(Sshd(os.path.join(folder, "sshd"), self.sandbox.key + ".pub",
                                            self.forge).serve())
        return None

    def url(self, transport, server, remote, port=None):
        if transport == "path":
            return "file://" + remote
        if transport == "ssh":
            return server.url(remote, port)
        return server.url(os.path.basename(remote), port)

    def transport(self, transport, source, latencies, modes, rounds, warmup, tag=""):
        """Every (latency, mode) of one transport; returns a result per pair.
        Each side pushes to a remote of its own (fresh copies of the one in
        `source`, served alike), so neither side's runs depend on the
        other's: in mode `checkout` every run starts up to date, in mode
        `behind` a colleague pushes a commit to that remote (over the file
        system, not counted) before every run, so every run must fetch."""
        folder = os.path.join(self.args.work, f"{transport}{tag}")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        remotes = {}
        for side in ("git", "mlops"):
            remotes[side] = os.path.join(folder, f"remote-{side}.git")
            shutil.copytree(os.path.join(source, "remote.git"), remotes[side], symlinks=True)
        if transport == "ssh" and self.forge:
            serve_as(self.forge, remotes.values())
        models = Models(source, os.path.join(folder, "used.txt"))
        models.need(2 * (rounds + warmup) * len(latencies) * len(modes), "fewer rounds, or a larger repository")
        colleague = Colleague(folder, remotes, self.env)
        results = []
        with contextlib.ExitStack() as stack:
            server = self.served(transport, folder, stack)
            clones = {}
            for rtt in latencies:
                proxy = None
                if rtt:
                    proxy = stack.enter_context(Proxy(server.port, rtt / 2000, self.args.limit))
                port = proxy.port if proxy else getattr(server, "port", None)
                self.sandbox.trust(transport, port, server)
                urls = {side: self.url(transport, server, remotes[side], port) for side in remotes}
                for side in ("git", "mlops"):  # the kept checkouts, now pointing at this URL
                    clones.setdefault(side, os.path.join(folder, f"clone-{side}"))
                    if not os.path.exists(clones[side]):
                        subprocess.run(["git", "clone", "-q", urls[side], clones[side]], env=self.env, check=True)
                    subprocess.run(["git", "-C", clones[side], "remote", "set-url", "origin", urls[side]],
                                   env=self.env, check=True)
                for mode in modes:
                    label = f"{transport}{tag}-{rtt}-{mode}"
                    result = {"transport": transport + tag, "rtt": rtt, "mode": mode, "runs": []}
                    counted = self.counting(server, proxy, result["runs"], label)

                    def run(side):
                        if time.monotonic() > self.deadline:
                            sys.exit(f"time limit of {self.args.limit} s reached: stopping (raise --limit)")
                        model = models.take()
                        if mode == "behind":
                            colleague.push(side)
                        target = urls[side] if mode == "clone" else clones[side]
                        how = "clone" if mode == "clone" else "checkout"
                        t = counted(side, mode == "behind",
                                    lambda: timed(workflow(side, how, self.args.mlops, target, model), self.env))
                        if not on_remote(remotes[side], model, self.env):
                            sys.exit(f"{label} {side}: {model} did not reach the remote")
                        return t

                    result.update(paired(run, rounds, warmup))
                    results.append(result)
                    print(f"  {label}: mlops {ms(result['mlops']):.0f} ms, git {ms(result['git']):.0f} ms, "
                          f"ratio {ratio(result):.2f}", file=sys.stderr)
                if proxy:
                    proxy.stop()
        if transport in ("http", "https"):  # lighttpd has stopped: its access log is complete
            logged = requests_by_run(os.path.join(folder, "lighttpd", "access.log"))
            for result in results:
                for r in result["runs"]:
                    r["requests"] = logged.get(r.pop("mark"), [])
        return results

    def counting(self, server, proxy, runs, label):
        """A wrapper for one run that records what went over the wire, and
        whether the other side had pushed since this side's last run (so a
        kept checkout was behind and had to fetch)."""
        def counted(side, behind, timed_run):
            record = {"side": side, "behind": behind}
            if isinstance(server, Http):
                record["mark"] = f"{label}-{side}-{len(runs)}"
                server.mark(record["mark"])
            before = (proxy.counters() if proxy else None, server.accepted() if isinstance(server, Sshd) else 0)
            record["seconds"] = timed_run()
            if proxy:
                proxy.wait_idle()
                c, up, down = (a - b for a, b in zip(proxy.counters(), before[0]))
                record.update(connections=c, sent=up, received=down)
            if isinstance(server, Sshd):
                record["ssh"] = server.accepted() - before[1]
            runs.append(record)
            return record["seconds"]
        return counted


class Colleague:
    """Someone else pushing to a side's remote: a commit that changes a
    prod model's file, pushed over the file system before a `behind` run."""

    def __init__(self, folder, remotes, env):
        self.folder, self.remotes, self.env, self.count = folder, remotes, env, 0

    def push(self, side):
        work = os.path.join(self.folder, f"colleague-{side}")
        git = lambda *a: subprocess.run(["git", "-C", work, *a], env=self.env, check=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not os.path.exists(work):
            subprocess.run(["git", "clone", "-q", self.remotes[side], work], env=self.env, check=True)
        git("pull", "-q", "--ff-only")
        self.count += 1
        path = os.path.join(work, "model-deployments", "prod", "model-00000", "config.yaml")
        with open(path, "a") as f:
            f.write(f"# reviewed {self.count}\n")
        git("commit", "-q", "-am", f"Review note {self.count}")
        git("push", "-q")


def binary(mlops):
    version = subprocess.run([mlops, "--version"], capture_output=True, text=True).stdout.strip()
    root = os.path.dirname(HERE)
    head = subprocess.run(["git", "-C", root, "describe", "--always", "--dirty"], capture_output=True,
                          text=True).stdout.strip()
    built_here = os.path.realpath(mlops) == os.path.realpath(os.path.join(root, "target/release/mlops"))
    where = f"built from this worktree at {head}" if built_here else "given with --mlops"
    return f"`{mlops}` ({version}; {where})"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mlops", required=True)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "target", "bench"))
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--transports", default="path,http,https,ssh")
    ap.add_argument("--modes", default="checkout,behind,clone",
                    help="checkout: up to date; behind: a colleague pushed first; clone: --clone vs git clone")
    ap.add_argument("--rtt-ms", type=float, default=40.0)
    ap.add_argument("--growth", action="store_true", help="also enable's growth from 3 x 200 to 3 x 20,000 models")
    ap.add_argument("--growth-rounds", type=int, default=8)
    ap.add_argument("--limit", type=float, default=5400, help="seconds the whole benchmark may take")
    args = ap.parse_args()
    args.mlops = os.path.abspath(args.mlops)
    args.out = os.path.abspath(args.out)
    args.work = os.path.join(args.out, "transports")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so every server is stopped

    shutil.rmtree(args.work, ignore_errors=True)
    sandbox = Sandbox(args.work)
    bench = Bench(args, sandbox)
    results = []
    load = [os.getloadavg()]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    source = pristine(args.out, 2000)
    modes = args.modes.split(",")
    for transport in filter(None, args.transports.split(",")):  # --transports '' with --growth: growth only
        print(f"== {NAMES[transport]}", file=sys.stderr)
        latencies = [0] if transport == "path" else [0, args.rtt_ms]
        results += bench.transport(transport, source, latencies, modes, args.rounds, args.warmup)
    load.append(os.getloadavg())
    growth = {}
    if args.growth:
        for models in (200, 2000, 20000):
            print(f"== growth: 3 x {models} models", file=sys.stderr)
            for transport in ("path", "http"):
                [result] = bench.transport(transport, pristine(args.out, models), [0], ["checkout"],
                                           args.growth_rounds, 1, tag=f"-{models}")
                growth[(transport, models)] = result
        load.append(os.getloadavg())

    header = [
        "# mlops vs the git CLI over the real transports", "",
        f"- binary: {binary(args.mlops)}; {subprocess.run(['git', '--version'], capture_output=True, text=True).stdout.strip()}",
        f"- {started}; {os.cpu_count()} cores; load average (1, 5, 15 min) "
        + " -> ".join("%.2f %.2f %.2f" % l for l in load),
        f"- repository: bench/gen.py, 3 x 2,000 models, 300 commits; {args.rounds} paired rounds "
        f"(+{args.warmup} warm-up) per row; each run enables one model and pushes",
        f"- +{args.rtt_ms:g} ms: bench/latency.py adds {args.rtt_ms / 2:g} ms each way (and one round trip "
        "before a connection's first bytes, as TCP's handshake)",
        f"- SSH sessions run as {bench.forge!r}, with /bin/sh and no rc files, as on a forge"
        if bench.forge else "- SSH sessions run as the current user, with its login shell's rc files (not root: "
        "no forge account could be made)", "",
    ]
    text = "\n".join(header + transport_tables(results, NAMES, args.rtt_ms)
                     + (growth_table(growth) if growth else [])) + "\n"
    with open(os.path.join(args.out, "transports.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "transports.json"), "w") as f:
        json.dump({"transports": results, "growth": [dict(r, models=m) for (_, m), r in growth.items()]}, f)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
