"""Command line: `python -m autotrace <command>` (see `--help` of each command)."""

from __future__ import annotations

import argparse
import sys


def _demo(args) -> int:
    from autotrace import demo

    demo.run(args.out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m autotrace",
        description="Trace, inspect and differentiate plain Python + numpy functions.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="walk the seed example e = (a + b) * (b + 1)")
    demo.add_argument("--out", default=None, help="directory for the pictures")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
