"""The class gradebook: the template every job starts from, the merge of results, and the scores in it.

Grading processes never touch the class gradebook; the pipeline is its only writer. The merge
writes autograded scores only: manual scores, comments, and the "needs manual grade" mark of a
cell a person has already graded are never changed, so instructors' work survives every re-grade.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import shutil
import sqlite3
import time
import warnings
from dataclasses import replace
from pathlib import Path

from autograder import course
from autograder.release import generate
from autograder.results import GradeRow, Result, Scores
from autograder.term import Deadline, Term
from autograder.errors import GraderFailed

MERGE_ATTEMPTS = 5
CACHE_VARIABLE = "NNLAB_CACHE_DIR"  # default: $XDG_CACHE_HOME/nnlab, else ~/.cache/nnlab


class GradebookUnavailable(GraderFailed):
    """The class gradebook cannot be written; graded results stay stored and a rerun merges them."""


def sqlite_url(out_dir: Path) -> str:
    """The default class gradebook of a grading output folder."""
    return f"sqlite:///{(out_dir / 'gradebook.db').resolve()}"


def require(db_url: str) -> str:
    """``db_url`` itself, after checking that an SQLite gradebook exists (a server one is checked on connect)."""
    if db_url.startswith("sqlite:///") and not Path(db_url.removeprefix("sqlite:///")).exists():
        raise FileNotFoundError(f"{db_url.removeprefix('sqlite:///')} does not exist: run `grade` first")
    return db_url


def commit_without_fsync(path: Path) -> None:
    """In this process, the SQLite gradebook at ``path`` commits without waiting for the disk (``synchronous=OFF``).

    For a job's private copy only (the worker's): a commit then costs microseconds instead of a disk flush (about
    25 ms each, 40 or more per notebook). A process that dies loses nothing the grader keeps: a failed attempt starts
    again from the template, and the class gradebook, which the pipeline writes, keeps SQLite's durable default.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    target = path.resolve()

    def _skip_fsync(connection, _record) -> None:
        if isinstance(connection, sqlite3.Connection):
            files = [Path(row[2]).resolve() for row in connection.execute("PRAGMA database_list") if row[2]]
            if target in files:
                connection.execute("PRAGMA synchronous=OFF")

    event.listen(Engine, "connect", _skip_fsync)


def prepare_template(work: Path, assignments: list[str]) -> Path:
    """A gradebook with every assignment generated, copied into each job.

    Generating it takes nbgrader several seconds, so a copy is kept in the user's cache, named by the
    masters' contents and nbgrader's version; a cache that cannot be read or written is passed over.
    """
    template = work / "template.db"
    if template.exists():
        return template
    staging, unfinished = work / "template-release", work / "template.tmp.db"
    work.mkdir(parents=True, exist_ok=True)
    unfinished.unlink(missing_ok=True)
    cached = cache_folder() / "gradebooks" / f"{template_key(assignments)}.db"
    if _holds(cached, assignments):
        shutil.copy(cached, unfinished)
    else:
        for assignment in assignments:
            generate(assignment, staging, db_url=f"sqlite:///{unfinished}")
        shutil.rmtree(staging, ignore_errors=True)
        _keep(unfinished, cached)
    unfinished.rename(template)
    return template


def cache_folder() -> Path:
    """Where the kit keeps what it can rebuild: ``NNLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/nnlab`` or ``~/.cache/nnlab``."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nnlab"


def template_key(assignments: list[str]) -> str:
    """A name for the template of ``assignments``: a digest of nbgrader's version, the course and every master file."""
    import nbgrader

    digest = hashlib.sha256(f"{nbgrader.__version__}\0{course.COURSE_ID}".encode())
    for assignment in assignments:
        folder = course.SOLUTIONS / assignment
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            digest.update(f"\0{path.relative_to(course.SOLUTIONS)}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def _holds(path: Path, assignments: list[str]) -> bool:
    """Whether ``path`` is a readable gradebook with exactly ``assignments``."""
    if not path.is_file():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            names = {row[0] for row in db.execute("SELECT name FROM assignment")}
    except sqlite3.Error:
        return False
    return names == set(assignments)


def _keep(template: Path, cached: Path) -> None:
    """Copy ``template`` into the cache, whole or not at all (a concurrent run may write the same name)."""
    partial = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(template, partial)
        partial.replace(cached)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


def ensure_assignments(db_url: str, assignments: list[str], work: Path, template: Path | None = None) -> None:
    """Create the assignments (notebooks, cells, points) in the class gradebook if it lacks them.

    A new SQLite gradebook starts as a copy of ``template`` (a gradebook with every assignment).
    """
    from nbgrader.api import MissingEntry

    sqlite_file = Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite:///") else None
    if template is not None and sqlite_file is not None and not sqlite_file.exists():
        shutil.copy(template, sqlite_file)
    for assignment in assignments:
        with course.gradebook(db_url) as gb:
            try:
                gb.find_assignment(assignment)
                continue
            except MissingEntry:
                pass
        generate(assignment, work / "class-release", db_url=db_url)


def merge(db_url: str, assignments: list[str], results: list[Result], work: Path,
          template: Path | None = None, deadlines: dict[tuple[str, str], Deadline] | None = None) -> None:
    """Write every graded result's autograded scores into the class gradebook (not-graded ones are left out), and
    its times and late penalty from ``deadlines`` (by student and assignment).

    Several graders may share a server gradebook, so each submission is written in its own
    transaction and retried if another grader created the same rows at the same moment.
    """
    from sqlalchemy.exc import IntegrityError, OperationalError, SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session use; rows are correct
        try:
            ensure_assignments(db_url, assignments, work, template)
        except OperationalError as error:
            raise GradebookUnavailable(f"cannot open the class gradebook {db_url.split('@')[-1]} "
                                       f"({str(error.orig).strip()[:200]}); every result is stored under "
                                       f"{work / 'jobs'}, and running the same `grade` again merges them") from None
        for result in (r for r in results if r.graded):
            for attempt in range(MERGE_ATTEMPTS):
                try:
                    with course.gradebook(db_url) as gb:
                        _write_result(gb, result)
                        deadline = (deadlines or {}).get((result.student_id, result.assignment))
                        apply_deadline(gb, result.assignment, result.student_id, deadline or Deadline(None, None))
                    break
                except (IntegrityError, OperationalError):
                    if attempt == MERGE_ATTEMPTS - 1:
                        raise
                    time.sleep(0.2 * (attempt + 1))


def _write_result(gb, result: Result) -> None:
    gb.update_or_create_student(result.student_id)
    gb.update_or_create_submission(result.assignment, result.student_id)
    for grade in result.grades:
        target = gb.find_grade(grade.name, grade.notebook, result.assignment, result.student_id)
        target.auto_score = grade.auto_score
        if target.manual_score is None:  # a cell graded by hand keeps its score and stays graded
            target.needs_manual_grade = grade.needs_manual_grade
    gb.db.commit()


def scores(db_url: str) -> dict[tuple[str, str], Scores]:
    """Scores of every submission in the class gradebook, manual grades and late penalties included."""
    found = {}
    with course.gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                raw = Scores.from_grades(grade_rows(submission))
                penalty = sum(nb.late_submission_penalty or 0.0 for nb in submission.notebooks)
                found[(submission.student.id, assignment.name)] = replace(
                    raw, late_penalty=round(penalty, 4), seconds_late=submission.total_seconds_late or 0.0,
                    submitted=_shown(submission.timestamp), due=_shown(submission.duedate))
    return found


def apply_deadline(gb, assignment: str, student: str, deadline: Deadline) -> None:
    """Write a submission's times into nbgrader's fields (its timestamp, the due date, the extension) and each
    notebook's late penalty, computed from its score now (manual grades included): running it again, after a
    regrade or a manual grade, gives the same penalty, never a second one."""
    submission = gb.find_submission(assignment, student)
    submission.timestamp = _naive_utc(deadline.submitted)
    submission.assignment.duedate = _naive_utc(deadline.due)
    extended = deadline.extended_to is not None and deadline.due is not None
    submission.extension = deadline.extended_to - deadline.due if extended else None
    for notebook in submission.notebooks:
        penalty = deadline.penalty(notebook.score or 0.0, notebook.max_score or 0.0)
        notebook.late_submission_penalty = penalty or None
    gb.db.commit()


def refresh_penalties(db_url: str, term: Term) -> None:
    """Late penalties of every submission from the course file and the scores now (after manual grading)."""
    with course.gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                submitted = submission.timestamp and submission.timestamp.replace(tzinfo=dt.timezone.utc)
                apply_deadline(gb, assignment.name, submission.student.id,
                               term.deadline(submission.student.id, assignment.name, submitted or None))


def _shown(when: dt.datetime | None) -> str:
    return f"{when:%Y-%m-%d %H:%M:%S} UTC" if when else ""


def _naive_utc(when: dt.datetime | None) -> dt.datetime | None:
    """nbgrader keeps times as UTC without a zone."""
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None) if when is not None else None


def grade_rows(submission) -> list[GradeRow]:
    """The graded cells of one nbgrader ``SubmittedAssignment``."""
    return [GradeRow(notebook=nb.name, name=g.name, cell_type=g.cell_type, max_score=g.max_score,
                     auto_score=g.auto_score, manual_score=g.manual_score, needs_manual_grade=g.needs_manual_grade)
            for nb in submission.notebooks for g in nb.grades]
