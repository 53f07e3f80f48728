"""`python -m tests.fuzz --programs N [--seed S] [--jobs J] [--out DIR]`: run a campaign,
print one shrunk repro per failure class, end with one summary line."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .campaign import campaign, repro, shrunk, summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--programs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0, help="first seed (seeds S, S+1, ...)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", help="folder to write one repro file per failure class")
    parser.add_argument("--no-shrink", action="store_true")
    args = parser.parse_args(argv)
    start = time.time()
    seeds = range(args.seed, args.seed + args.programs)
    counts, first = campaign(seeds, args.jobs, log=lambda s: print(s, flush=True))
    for number, (key, result) in enumerate(sorted(first.items()), 1):
        text = repro(result if args.no_shrink else shrunk(result))
        print(f"\n## class {number}: {key}\n{text}", flush=True)
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            with open(os.path.join(args.out, f"class{number}_seed{result.seed}.py"), "w") as f:
                f.write(text)
    print(f"({time.time() - start:.0f} s)")
    print(summary(args.programs, counts))
    return 1 if first else 0


if __name__ == "__main__":
    sys.exit(main())
