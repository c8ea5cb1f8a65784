"""`python -m autograder <subcommand>`: one subcommand per grading step."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _release(args: argparse.Namespace) -> int:
    from autograder.release import release

    for path in release(out=Path(args.out), assignments=args.assignment or None):
        print(f"wrote {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="generate student notebooks (notebooks/) from the masters (solutions/)")
    p.add_argument("assignment", nargs="*", help="assignment ids (default: all in solutions/)")
    p.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "notebooks"),
                   help="release folder (default: notebooks/)")
    p.set_defaults(run=_release)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the CLI and of the ``nnlab-autograder`` console script."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
