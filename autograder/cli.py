"""`python -m autograder <subcommand>`: one subcommand per grading step.

Each subcommand returns its exit code or raises; :func:`main` turns ``CannotRun`` (and a missing file or dataset)
into exit code 2 and ``GraderFailed`` into 3, each with a one-line message.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.term import Term


EXIT_OK, EXIT_UNUSABLE, EXIT_NOT_GRADED = 0, 2, 3


def _release(args: argparse.Namespace) -> int:
    from autograder.release import release

    for path in release(out=Path(args.out), assignments=args.assignment or None):
        print(f"wrote {path}")
    return EXIT_OK


def _bundle(args: argparse.Namespace) -> int:
    from autograder.bundle import build

    for bundle in build(Path(args.out), assignments=args.assignment or None):
        print(f"wrote {bundle.archive} ({', '.join(bundle.assignments)})")
    print("Hand out a zip (or its folder) to students: no solutions, rubrics or reference code are in it.")
    return EXIT_OK


def _settings(args: argparse.Namespace):
    from autograder.settings import Limits, make_settings

    return make_settings(budget=args.budget, data_dir=args.data_dir or os.environ.get("NNLAB_DATA_DIR"),
                         limits=Limits(memory_bytes=args.memory_gb * 2**30,
                                       scratch_bytes=round(args.scratch_gb * 2**30)), cell_timeout=args.cell_timeout,
                         notebook_timeout=args.notebook_timeout)


def _grade(args: argparse.Namespace) -> int:
    from autograder.lifetime import GradingStopped
    from autograder.pipeline import grade_class
    from autograder.term import Undated, read_term

    settings = _settings(args)
    term = read_term()
    if args.scheduler:
        from autograder.runners.dask import DaskRunner

        runner = DaskRunner(args.scheduler)
    else:
        from autograder.runners.local import LocalRunner

        runner = LocalRunner(args.workers)
    if term.due:
        print(f"due dates and late policy from {term.path}: {', '.join(sorted(term.due))}")
    students = frozenset(filter(None, args.students.split(","))) if args.students else None
    try:
        run = grade_class(Path(args.submissions), Path(args.out), settings, sandbox=args.sandbox, runner=runner,
                          resume=not args.no_resume, db_url=args.db, keep_scratch=args.keep_scratch,
                          students=students, term=term, undated=args.undated and Undated(args.undated))
    except GradingStopped as stop:
        print(f"grading stopped by {stop}: every submission graded before is kept in {args.out}, and nothing of "
              "the run is left running or mounted. Run the same command again to grade the rest.", file=sys.stderr)
        return stop.exit_code
    return _print_outcome(run, Path(args.out), args.db)


def _print_outcome(run, out: Path, db_url: str | None = None) -> int:
    """The grade table, where the outputs are, and the exit code (3 when some submissions were not graded)."""
    from autograder.report import write_report
    from autograder.summary import grade_table

    print(grade_table(run.results))
    if run.results:
        print(f"report: {write_report(out, db_url)}")
    print(f"grades: {out / 'grades.csv'}   feedback: {out / 'feedback'}")
    if run.not_graded:
        print(f"{len(run.not_graded)} submission(s) NOT GRADED because the grader failed (see their status); "
              "they have no score. Fix the cause and run `grade` again: only they are graded again.",
              file=sys.stderr)
        return EXIT_NOT_GRADED
    return EXIT_OK


def _refresh_late_penalties(db_url: str, term: Term | None = None) -> None:
    """Late penalties from course.toml and the scores now (manual grades entered since `grade` included)."""
    from autograder import gradebook
    from autograder.term import read_term

    gradebook.refresh_penalties(gradebook.require(db_url), term or read_term())


def _report(args: argparse.Namespace) -> int:
    from autograder import gradebook
    from autograder.report import write_report

    out = Path(args.out)
    if args.db or (out / "gradebook.db").exists():
        _refresh_late_penalties(args.db or gradebook.sqlite_url(out))
    print(f"report: {write_report(out, args.db)}")
    return EXIT_OK


def _feedback(args: argparse.Namespace) -> int:
    from autograder import gradebook
    from autograder.formgrader import regenerate_feedback, release_feedback
    from autograder.store import copy_feedback

    out = Path(args.out)
    db_url = gradebook.require(args.db or gradebook.sqlite_url(out))
    _refresh_late_penalties(db_url)
    pages = regenerate_feedback(out, db_url)
    print(f"feedback (with manual scores and comments): {copy_feedback(out, pages)}; zips: {out / 'feedback-zips'}")
    if args.exchange:
        others = release_feedback(out, db_url, Path(args.exchange))
        print(f"released through the exchange {args.exchange}" +
              (f"; not submitted through it (hand back their zips): {', '.join(others)}" if others else ""))
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from autograder import course, gradebook
    from autograder.export import export
    from autograder.lms import LmsFormat, Missing, RosterError, lms_rows, read_roster, write_rows
    from autograder.term import read_term

    out = Path(args.out)
    db_url = args.db or gradebook.sqlite_url(out)
    term = read_term()
    _refresh_late_penalties(db_url, term)
    if args.format is None:
        print(f"{export(db_url, out / 'export.csv')} rows -> {out / 'export.csv'}")
        return EXIT_OK
    if not args.roster:
        raise RosterError(f"--format {args.format} needs --roster ROSTER.csv (columns student_id,name,email,lms_id)")
    roster = read_roster(Path(args.roster))
    scores = gradebook.scores(gradebook.require(db_url))
    missing = Missing(args.missing or term.policy.missing)
    rows, unknown = lms_rows(scores, course.assignments(), roster, LmsFormat(args.format), missing)
    target = out / f"export-{args.format}.csv"
    write_rows(rows, target)
    print(f"{len(roster)} roster students x {len(course.assignments())} assignments -> {target}")
    if unknown:
        print(f"warning: {len(unknown)} graded student(s) not in the roster: {', '.join(unknown)} "
              f"({'kept as rows without name' if args.format == 'csv' else 'not in this file: add them to the roster'})",
              file=sys.stderr)
    return EXIT_OK


def _formgrader(args: argparse.Namespace) -> int:
    from autograder import gradebook
    from autograder.formgrader import build_course, serve

    out = Path(args.out)
    db_url = gradebook.require(args.db or gradebook.sqlite_url(out))
    root = build_course(out, db_url)
    print(f"course folder: {root} (gradebook {db_url.split('@')[-1]})")
    serve(root, port=args.port, token=args.token)  # does not return: this process becomes the server
    return EXIT_OK


def _collect(args: argparse.Namespace) -> int:
    from collections import Counter

    from autograder import course
    from autograder.submissions import REPORT_NAME, Outcome, collect
    from autograder.term import read_term

    notebooks = {a: [p.stem for p in (course.SOLUTIONS / a).glob("*.ipynb")] for a in course.assignments()}
    entries = collect(Path(args.source), Path(args.dest), notebooks, zone=read_term().zone)
    for e in entries:
        where = f"{e.student}/{e.assignment}/{e.notebook}.ipynb" if e.student else ""
        handed_in = f", handed in {e.submitted_at} ({e.time_source})" if e.submitted_at else ""
        print(f"{e.outcome.value:10} {e.source}" + (f" -> {where}{handed_in}" if e.outcome is Outcome.COLLECTED else "")
              + (f"  ({e.reason})" if e.reason else ""))
    counts = Counter(e.outcome for e in entries)
    print(f"{len(entries)} file(s): " + ", ".join(f"{counts[o]} {o.value}" for o in Outcome) +
          f"; report: {Path(args.dest) / REPORT_NAME}")
    return EXIT_OK


def _clean(args: argparse.Namespace) -> int:
    from autograder.lifetime import clean_stale, only_run_into

    out = Path(args.out)
    if not out.is_dir():
        raise FileNotFoundError(f"{out} is not a folder: pass the --out folder of `grade`")
    with only_run_into(out):
        removed = clean_stale(out)
    print("\n".join(removed) if removed else f"nothing to clean: no run into {out} left anything behind")
    return EXIT_OK


def _demo(args: argparse.Namespace) -> int:
    from autograder.demo import run_demo

    run = run_demo(Path(args.out), workers=args.workers, budget=args.budget)
    return _print_outcome(run, Path(args.out) / "graded")


def _check(args: argparse.Namespace) -> int:
    from autograder.check import check, verdict
    from autograder.settings import data_dir_or_keras_mirror, make_settings

    notebook, out = Path(args.notebook), Path(args.out)
    data_dir = args.data_dir or data_dir_or_keras_mirror(out / "datasets")
    settings = make_settings(budget=args.budget, data_dir=data_dir)
    print(f"grading {notebook} at the '{args.budget}' budget, as the grader does (about a minute at smoke, "
          "a few at grade) ...", flush=True)
    run, assignment = check(notebook, out, settings, sandbox=args.sandbox,
                            warn=lambda text: print(f"warning: {text}", file=sys.stderr))
    result = run.results[0]
    print(f"{assignment}:")
    print("\n".join(verdict(result)))
    pages = sorted((out / "graded" / "feedback").glob(f"*/{assignment}/*.html"))
    if pages:
        print(f"feedback page: {pages[0]}")
    return EXIT_OK if result.graded else EXIT_NOT_GRADED


def _walkthrough(args: argparse.Namespace) -> int:
    from autograder import course
    from autograder.errors import CannotRun
    from autograder.walkthrough import RECORDED_RUN, build, record

    unknown = sorted(set(args.record or []) - set(course.assignments()))
    if unknown:
        raise CannotRun(f"unknown assignment(s) {unknown}; the course has {course.assignments()}")
    if args.record is not None:
        if args.budget not in (None, "full"):
            raise CannotRun("walkthrough: the recorded run is the full-budget run; to see the masters at "
                            f"{args.budget!r}, leave out --record (the site is then executed afresh)")
        record(RECORDED_RUN, only=args.record)
        return EXIT_OK
    print(f"site: {build(Path(args.out), budget=args.budget)}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    from autograder.sandboxes.choose import CHOICES as SANDBOX_CHOICES
    from autograder.settings import GradingSettings
    from autograder.term import Undated
    from helpers.budget import BUDGETS

    defaults = GradingSettings()

    budget_names = list(BUDGETS)
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("release", help="generate student notebooks (notebooks/) from the masters (solutions/)")
    p.add_argument("assignment", nargs="*", help="assignment ids (default: all in solutions/)")
    p.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "notebooks"),
                   help="release folder (default: notebooks/)")
    p.set_defaults(run=_release)

    p = sub.add_parser("bundle", help="what students get: released notebooks, helpers, environment, README "
                                      "(OUT/nnlab-course and OUT/nnlab-<assignment>, folders and zips)")
    p.add_argument("assignment", nargs="*", help="assignment ids (default: all in solutions/)")
    p.add_argument("--out", required=True, help="folder to write the bundles into")
    p.set_defaults(run=_bundle)

    p = sub.add_parser("collect", help="take in submissions: a nested folder, flat LMS downloads, or a zip of either")
    p.add_argument("source", help="folder or .zip as received")
    p.add_argument("dest", help="submissions folder to fill: DEST/<student>/<assignment>/<notebook>.ipynb")
    p.set_defaults(run=_collect)

    p = sub.add_parser("grade", help="autograde SUBMISSIONS_DIR/<student>/<assignment>/<notebook>.ipynb",
                       epilog="exit codes: 0 every submission graded; 2 nothing graded (unusable input, no "
                              "working sandbox, no dataset mirror); 3 some submissions not graded because the "
                              "grader failed (status 'not graded: ...'; rerun `grade` to retry only those)")
    p.add_argument("submissions", metavar="SUBMISSIONS_DIR")
    p.add_argument("--out", required=True, help="output folder: grades.csv, feedback/, gradebook.db, work/")
    p.add_argument("--budget", default="grade", choices=budget_names,
                   help="training budget of the graded notebooks (default grade; NNLAB_BUDGET is ignored here)")
    p.add_argument("--data-dir", help="dataset mirror with mnist.npz and cifar10.npz (default: NNLAB_DATA_DIR)")
    p.add_argument("--workers", type=int, default=None,
                   help="notebooks graded at once (default: one per CPU, as memory allows)")
    p.add_argument("--sandbox", default="auto", choices=SANDBOX_CHOICES,
                   help="isolation of student code (auto: bubblewrap, after a test kernel started in it; "
                        "none is unsafe, warns, and is recorded in the results)")
    p.add_argument("--no-resume", action="store_true", help="regrade submissions already graded in --out")
    p.add_argument("--students", metavar="ID[,ID...]",
                   help="grade only these students' submissions, again even when graded before (after an extension "
                        "or a regrade request); every other result, manual grade and comment in --out is kept")
    p.add_argument("--undated", choices=[u.value for u in Undated],
                   help="what a submission without a known time (no timestamp.txt) counts as when its assignment "
                        "has a due date in course.toml: on time, or its notebooks' modification time (without "
                        "this, such submissions stop `grade`)")
    p.add_argument("--cell-timeout", type=int, default=None,
                   help=f"seconds a non-training cell may run (default {defaults.cell_timeout}; training cells get "
                        "the budget's limit)")
    p.add_argument("--notebook-timeout", type=int, default=defaults.notebook_timeout,
                   help="wall-clock seconds per notebook (default %(default)s)")
    p.add_argument("--memory-gb", type=int, default=defaults.limits.memory_bytes // 2**30,
                   help="address-space limit of a kernel in GiB (default %(default)s)")
    p.add_argument("--scratch-gb", type=float, default=defaults.limits.scratch_bytes / 2**30,
                   help="disk quota of a submission's writable folders in GiB, where the grader runs as root "
                        "(default %(default)g)")
    p.add_argument("--keep-scratch", action="store_true",
                   help="keep each job's scratch folder (what the kernel wrote) for debugging")
    p.add_argument("--scheduler", help="Dask scheduler address (tcp://HOST:PORT): one task per submission on the "
                                       "cluster instead of local workers")
    p.add_argument("--db", help="class gradebook URL, e.g. postgresql://user@host/course (default: SQLite "
                                "OUT/gradebook.db)")
    p.set_defaults(run=_grade)

    for name, run, text in (
        ("feedback", _feedback, "feedback pages with manual scores and comments: OUT/feedback/, one zip per student"),
        ("export", _export, "write OUT/export.csv from the class gradebook (includes manual grades)"),
        ("report", _report, "write the class report (HTML + PNG figures) into OUT/report/"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--out", required=True, help="the --out folder of `grade`")
        p.add_argument("--db", help="class gradebook URL if not the default SQLite OUT/gradebook.db")
        if name == "feedback":
            p.add_argument("--exchange", help="also release the feedback through nbgrader's exchange at this folder "
                                              "(JupyterHub courses; students run `nbgrader fetch_feedback`)")
        if name == "export":
            p.add_argument("--format", choices=["csv", "canvas", "moodle"],
                           help="one row per roster student, one column per assignment, in the format the LMS "
                                "imports (writes OUT/export-FORMAT.csv); without it, OUT/export.csv has one row per "
                                "student and assignment")
            p.add_argument("--roster", help="CSV with the columns student_id,name,email,lms_id")
            p.add_argument("--missing", choices=["zero", "blank"],
                           help="what a roster student without a submission gets (default: course.toml's "
                                "late_policy.missing, else zero)")
        p.set_defaults(run=run)

    p = sub.add_parser("formgrader", help="nbgrader's formgrader on the graded class: grade written answers, comment")
    p.add_argument("--out", required=True, help="the --out folder of `grade`")
    p.add_argument("--db", help="class gradebook URL if not the default SQLite OUT/gradebook.db")
    p.add_argument("--port", type=int, default=8890, help="port of the JupyterLab server (default 8890)")
    p.add_argument("--token", help="access token (default: a random one, printed with the URL)")
    p.set_defaults(run=_formgrader)

    p = sub.add_parser("walkthrough", help="render the self-study site (from the recorded full-budget run)")
    p.add_argument("--out", default="site", help="site folder (default: site)")
    p.add_argument("--budget", choices=budget_names,
                   help="execute the masters now at this budget (default: show the recorded full-budget run)")
    p.add_argument("--record", nargs="*", metavar="ASSIGNMENT",
                   help="execute the masters (all, or these) at the full budget and keep them as the recorded "
                        "run in walkthrough/full/")
    p.set_defaults(run=_walkthrough)

    p = sub.add_parser("clean", help="remove what a killed `grade` left behind (its mounts, control groups and "
                                     "temporary folders); `grade` does it too before it starts")
    p.add_argument("out", metavar="OUT", help="the --out folder of `grade`")
    p.set_defaults(run=_clean)

    p = sub.add_parser("check", help="grade your own notebook as the grader does; each step's points and message "
                                     "in the terminal, and the feedback page",
                       epilog="exit codes: 0 graded (whatever the score); 2 not an assignment, or no dataset; "
                              "3 the grader itself failed (not your score)")
    p.add_argument("notebook", metavar="NOTEBOOK", help="your notebook, e.g. notebooks/a1_noise_mlp/noise_mlp.ipynb")
    p.add_argument("--budget", default="smoke", choices=budget_names,
                   help="training budget (default smoke: about a minute; grade is what the course's grader uses)")
    p.add_argument("--out", default="nnlab-check", help="folder for the graded copy and its feedback page "
                                                        "(default: nnlab-check)")
    p.add_argument("--data-dir", help="dataset mirror with mnist.npz and cifar10.npz (default: NNLAB_DATA_DIR, else "
                                      "Keras' own datasets, saved as a mirror in OUT)")
    p.add_argument("--sandbox", default="auto", choices=SANDBOX_CHOICES,
                   help="auto: bubblewrap where it works, else none with a warning (it is your own notebook)")
    p.set_defaults(run=_check)

    p = sub.add_parser("demo", help="release, make an example class, grade it in the sandbox, report")
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--budget", default="grade", choices=budget_names, help="training budget (default grade)")
    p.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the CLI and of the ``nnlab-autograder`` console script."""
    from autograder.errors import CannotRun, GraderFailed
    from autograder.lifetime import GradingStopped, stopping_on_signals
    from helpers.data import DatasetError

    args = build_parser().parse_args(argv)
    with stopping_on_signals():
        try:
            return args.run(args)
        except GradingStopped as stop:
            print(f"stopped by {stop}", file=sys.stderr)
            return stop.exit_code
        except (CannotRun, DatasetError, FileNotFoundError) as error:  # what to install, fix or choose
            print(f"error: {error}", file=sys.stderr)
            return EXIT_UNUSABLE
        except GraderFailed as error:
            print(f"error: the grader failed: {error}", file=sys.stderr)
            return EXIT_NOT_GRADED


if __name__ == "__main__":
    sys.exit(main())
