#!/usr/bin/env python3
"""Two commands timed in paired, alternating rounds (common.paired).

    bench/paired.py ROUNDS 'MLOPS COMMAND' 'GIT COMMAND'

Prints each side's median and the median of the per-round ratio
mlops/git, which shared load on the machine moves far less than either
time alone. Commands run without a shell (split on spaces).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import ms, paired, ratio, timed  # noqa: E402


def main():
    rounds, commands = int(sys.argv[1]), {"mlops": sys.argv[2], "git": sys.argv[3]}
    figures = paired(lambda side: timed(commands[side].split(), os.environ), min(rounds, 200), 2)
    for side in ("mlops", "git"):
        print(f"{side}: {commands[side]}\n   median {ms(figures[side]):.0f} ms")
    print(f"median paired ratio mlops/git over {len(figures['git'])} rounds: {ratio(figures):.2f}")


if __name__ == "__main__":
    main()
