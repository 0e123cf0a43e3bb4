"""The Markdown tables of bench/transports.py, from its results: one dict
per (transport, round trip, mode) with the paired times ("git", "mlops",
seconds, warm-up left out) and "runs", one record per run with what went
over the wire (requests, ssh, connections, sent, received)."""

import statistics

from common import ms, ratio


MODES = {"checkout": "checkout, up to date", "behind": "checkout, behind by a colleague's commit",
         "clone": "--clone"}


def spread(xs, fmt=lambda x: f"{x:g}"):
    """The median, with the range when the runs differ."""
    if not xs:
        return "–"
    mid = fmt(statistics.median(xs))
    return mid if min(xs) == max(xs) else f"{mid} ({fmt(min(xs))}–{fmt(max(xs))})"


def counted(result, side):
    """The run records of one side, less the warm-up rounds."""
    runs = [r for r in result["runs"] if r["side"] == side]
    return runs[len(runs) - len(result[side]):]


def wire(result, side):
    """Requests (401s), connections and bytes of one side's runs."""
    runs = counted(result, side)
    cells = []
    if runs and "requests" in runs[0]:
        requests = lambda rs: spread([len(r["requests"]) for r in rs])
        challenged = spread([sum(1 for q in r["requests"] if q[1] == 401) for r in runs])
        cells.append(f"{requests(runs)} req, {challenged}×401")
    if runs and "ssh" in runs[0]:
        cells.append(f"{spread([r['ssh'] for r in runs])} ssh")
    if runs and "connections" in runs[0]:
        cells.append(f"{spread([r['connections'] for r in runs])} tcp")
    kib = lambda x: f"{x / 1024:.1f}"
    bytes_ = (f"{spread([r['sent'] for r in runs], kib)} / {spread([r['received'] for r in runs], kib)}"
              if runs and "sent" in runs[0] else "–")
    return ", ".join(cells) or "–", bytes_


def transport_tables(results, names, rtt_ms):
    lines = []
    for transport in dict.fromkeys(r["transport"] for r in results):
        rows = [r for r in results if r["transport"] == transport]
        lines += [f"## {names.get(transport, transport)}", "",
                  "| network | mode | mlops ms | git ms | mlops/git | mlops: on the wire | git: on the wire "
                  "| mlops KiB sent / received | git KiB sent / received |",
                  "|---|---|--:|--:|--:|---|---|--:|--:|"]
        for r in rows:
            network = "loopback" if not r["rtt"] else f"+{r['rtt']:g} ms RTT"
            (mw, mb), (gw, gb) = wire(r, "mlops"), wire(r, "git")
            lines.append(f"| {network} | {MODES.get(r['mode'], r['mode'])} | {ms(r['mlops']):.0f} | {ms(r['git']):.0f} | "
                         f"**{ratio(r):.2f}** | {mw} | {gw} | {mb} | {gb} |")
        lines.append("")
        lines += traces(rows)
    lines += ["mlops/git is the median of the per-round ratios; times are medians. On the wire, per run: HTTP "
              "requests (from lighttpd's access log) and how many were answered 401, SSH connections (sshd's "
              "`Accepted publickey` lines), TCP connections and bytes (counted at the latency proxy, so only "
              f"in the +{rtt_ms:g} ms rows); a range follows the median when runs differ.", ""]
    return lines


def traces(rows):
    """The HTTP requests of one run of each side, mode and (in a kept
    checkout) whether it was behind, on loopback."""
    lines = []
    for r in rows:
        if r["rtt"] or "requests" not in (r["runs"] or [{}])[0]:
            continue
        for side in ("mlops", "git"):
            runs = counted(r, side)
            if runs:
                lines.append(f"<details><summary>{side}, {MODES.get(r['mode'], r['mode'])}, the requests "
                             "of one run</summary>\n")
                lines += [f"    {q[1]} {q[0]}  ({q[2]} B in, {q[3]} B out)" for q in runs[-1]["requests"]]
                lines += ["", "</details>", ""]
    return lines


def growth_table(growth):
    """growth: {(transport, models): result} for path and http at 200, 2,000, 20,000."""
    series = [(t, side) for t in ("path", "http") for side in ("mlops", "git")]
    sizes = sorted({m for _, m in growth})
    lines = ["## Growth of `enable` with a push (checkout, loopback)", "",
             "| models | " + " | ".join(f"{side} over {t}, ms" for t, side in series) + " |",
             "|--:|" + "--:|" * len(series)]
    for m in sizes:
        lines.append(f"| 3 × {m:,} | " + " | ".join(f"{ms(growth[(t, m)][side]):.0f}" for t, side in series) + " |")
    pushed = lambda r, side: statistics.median(  # the receive-pack POST's size, from the access log
        q[2] for run in counted(r, side) for q in run.get("requests", []) if q[0].startswith("POST") and
        "git-receive-pack " in q[0]) / 1024
    extra = all(("http", m) in growth for m in sizes)
    if extra:
        lines[2] += " mlops / git push over http, KiB |"
        lines[3] += "--:|"
        for i, m in enumerate(sizes):
            r = growth[("http", m)]
            lines[4 + i] += f" {pushed(r, 'mlops'):.1f} / {pushed(r, 'git'):.1f} |"
    for a, b in zip(sizes, sizes[1:]):
        lines.append(f"| ratio {b:,} / {a:,} | " + " | ".join(
            f"{ms(growth[(t, b)][side]) / ms(growth[(t, a)][side]):.2f}" for t, side in series) + " |"
            + (" |" if extra else ""))
    lines.append("")
    return lines
