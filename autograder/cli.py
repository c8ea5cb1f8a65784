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


def _grade(args: argparse.Namespace) -> int:
    from autograder import sandbox
    from autograder.pipeline import grade_class

    try:
        limits = sandbox.Limits(notebook_wall_seconds=args.notebook_timeout, memory_bytes=args.memory_gb * 2**30)
        results = grade_class(Path(args.submissions), Path(args.out), workers=args.workers,
                              sandbox_kind=args.sandbox, resume=not args.no_resume, limits=limits,
                              cell_timeout=args.cell_timeout, scheduler=args.scheduler, db_url=args.db)
    except (FileNotFoundError, sandbox.SandboxUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    from autograder.summary import grade_table

    print(grade_table(results))
    out = Path(args.out)
    if results:
        from autograder.report import write_report

        print(f"report: {write_report(out)}")
    print(f"grades: {out / 'grades.csv'}   feedback: {out / 'feedback'}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from autograder.report import write_report

    try:
        print(f"report: {write_report(Path(args.out))}")
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _feedback(args: argparse.Namespace) -> int:
    from autograder.pipeline import copy_feedback

    out = Path(args.out)
    copy_feedback(out / "work", out / "feedback")
    print(f"feedback: {out / 'feedback'}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from autograder.export import export

    out = Path(args.out)
    try:
        n = export(args.db or f"sqlite:///{(out / 'gradebook.db').resolve()}", out / "export.csv")
    except FileNotFoundError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{n} rows -> {out / 'export.csv'}")
    return 0


def _collect(args: argparse.Namespace) -> int:
    from autograder import course
    from autograder.submissions import collect

    notebooks = {a: [p.stem for p in (course.SOLUTIONS / a).glob("*.ipynb")] for a in course.assignments()}
    for line in collect(Path(args.source), Path(args.dest), notebooks):
        print(line)
    return 0


def _demo(args: argparse.Namespace) -> int:
    from autograder.demo import run_demo

    return run_demo(Path(args.out), workers=args.workers)


def _walkthrough(args: argparse.Namespace) -> int:
    from autograder.walkthrough import build

    print(f"site: {build(Path(args.out), budget=args.budget)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="generate student notebooks (notebooks/) from the masters (solutions/)")
    p.add_argument("assignment", nargs="*", help="assignment ids (default: all in solutions/)")
    p.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "notebooks"),
                   help="release folder (default: notebooks/)")
    p.set_defaults(run=_release)

    p = sub.add_parser("collect", help="take in submissions: a nested folder, flat LMS downloads, or a zip of either")
    p.add_argument("source", help="folder or .zip as received")
    p.add_argument("dest", help="submissions folder to fill: DEST/<student>/<assignment>/<notebook>.ipynb")
    p.set_defaults(run=_collect)

    p = sub.add_parser("grade", help="autograde SUBMISSIONS_DIR/<student>/<assignment>/<notebook>.ipynb")
    p.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    p.add_argument("--out", required=True, help="output folder: grades.csv, feedback/, gradebook.db, work/")
    p.add_argument("--workers", type=int, default=None,
                   help="notebooks graded at once (default: one per CPU, as memory allows)")
    p.add_argument("--sandbox", default="auto", choices=["auto", "bwrap", "docker", "none"],
                   help="isolation of student code (auto: bwrap when it works; none is unsafe and warns)")
    p.add_argument("--no-resume", action="store_true", help="regrade submissions already graded in --out")
    p.add_argument("--cell-timeout", type=int, default=None,
                   help="seconds a non-training cell may run (default 120; training cells get the budget's limit)")
    p.add_argument("--notebook-timeout", type=int, default=900, help="wall-clock seconds per notebook (default 900)")
    p.add_argument("--memory-gb", type=int, default=12, help="address-space limit of a kernel in GiB (default 12)")
    p.add_argument("--scheduler", help="Dask scheduler address (tcp://HOST:PORT): one task per submission on the "
                                       "cluster instead of local workers")
    p.add_argument("--db", help="class gradebook URL, e.g. postgresql://user@host/course (default: SQLite "
                                "OUT/gradebook.db)")
    p.set_defaults(run=_grade)

    for name, run, text in (
        ("feedback", _feedback, "collect per-student feedback HTML into OUT/feedback/"),
        ("export", _export, "write OUT/export.csv from the class gradebook (includes manual grades)"),
        ("report", _report, "write the class report (HTML + PNG figures) into OUT/report/"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--out", required=True, help="the --out folder of `grade`")
        if name == "export":
            p.add_argument("--db", help="class gradebook URL if not the default SQLite OUT/gradebook.db")
        p.set_defaults(run=run)

    p = sub.add_parser("walkthrough", help="execute the masters and render the self-study site")
    p.add_argument("--out", default="site", help="site folder (default: site)")
    p.add_argument("--budget", default="smoke", choices=["full", "grade", "smoke"], help="training budget")
    p.set_defaults(run=_walkthrough)

    p = sub.add_parser("demo", help="release, make an example class, grade it in the sandbox, report")
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the CLI and of the ``nnlab-autograder`` console script."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
