"""The class gradebook: the template every job starts from, the merge of results, and the scores in it.

Grading processes never touch the class gradebook; the pipeline is its only writer. The merge
writes autograded scores only: manual scores, comments, and the "needs manual grade" mark of a
cell a person has already graded are never changed, so instructors' work survives every re-grade.
"""

from __future__ import annotations

import shutil
import time
import warnings
from pathlib import Path

from autograder import course
from autograder.release import generate
from autograder.results import GradeRow, Result, Scores

MERGE_ATTEMPTS = 5


class GradebookUnavailable(RuntimeError):
    """The class gradebook cannot be written; graded results stay stored and a rerun merges them."""


def sqlite_url(out_dir: Path) -> str:
    """The default class gradebook of a grading output folder."""
    return f"sqlite:///{(out_dir / 'gradebook.db').resolve()}"


def require(db_url: str) -> str:
    """``db_url`` itself, after checking that an SQLite gradebook exists (a server one is checked on connect)."""
    if db_url.startswith("sqlite:///") and not Path(db_url.removeprefix("sqlite:///")).exists():
        raise FileNotFoundError(f"{db_url.removeprefix('sqlite:///')} does not exist: run `grade` first")
    return db_url


def prepare_template(work: Path, assignments: list[str]) -> Path:
    """A gradebook with every assignment generated, copied into each job."""
    template = work / "template.db"
    if not template.exists():
        staging = work / "template-release"
        for assignment in assignments:
            generate(assignment, staging, db_url=f"sqlite:///{work / 'template.tmp.db'}")
        (work / "template.tmp.db").rename(template)
        shutil.rmtree(staging, ignore_errors=True)
    return template


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
          template: Path | None = None) -> None:
    """Write every graded result's autograded scores into the class gradebook (not-graded ones are left out).

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
    """Scores of every submission in the class gradebook, manual grades included."""
    found = {}
    with course.gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                found[(submission.student.id, assignment.name)] = Scores.from_grades(grade_rows(submission))
    return found


def grade_rows(submission) -> list[GradeRow]:
    """The graded cells of one nbgrader ``SubmittedAssignment``."""
    return [GradeRow(notebook=nb.name, name=g.name, cell_type=g.cell_type, max_score=g.max_score,
                     auto_score=g.auto_score, manual_score=g.manual_score, needs_manual_grade=g.needs_manual_grade)
            for nb in submission.notebooks for g in nb.grades]
