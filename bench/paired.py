#!/usr/bin/env python3
"""Two commands timed in paired, alternating rounds.

    bench/paired.py ROUNDS 'COMMAND A' 'COMMAND B'

Each round runs both, in an order that alternates, so neither always runs
on a warmer cache or a quieter machine; the report is each side's median
and the median of the per-round ratio A/B, which shared load on the
machine moves far less than either time alone. Commands run without a
shell (split on spaces), output discarded.
"""

import statistics
import subprocess
import sys
import time


def timed(cmd):
    start = time.perf_counter()
    subprocess.run(cmd.split(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main():
    rounds, a, b = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    ta, tb = [], []
    for r in range(min(rounds, 200)):
        if r % 2 == 0:
            ta.append(timed(a))
            tb.append(timed(b))
        else:
            tb.append(timed(b))
            ta.append(timed(a))
    ratios = [x / y for x, y in zip(ta, tb)]
    ms = lambda v: f"{statistics.median(v) * 1000:.0f} ms"
    print(f"A: {a}\n   median {ms(ta)}")
    print(f"B: {b}\n   median {ms(tb)}")
    print(f"median paired ratio A/B over {len(ratios)} rounds: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
