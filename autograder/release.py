"""`release`: generate the student notebooks in ``notebooks/`` from the masters in ``solutions/``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from autograder import course
from autograder.errors import GraderFailed


class ReleaseError(GraderFailed):
    """nbgrader could not generate a student version."""


def generate(assignment: str, release_dir: Path, *, db_url: str, source: Path = course.SOLUTIONS) -> None:
    """Run nbgrader's generate_assignment for one assignment into ``release_dir`` (and record it in ``db_url``)."""
    from nbgrader.apps import NbGraderAPI

    config = course.nbgrader_config(db_url=db_url, source=source, release=release_dir)
    result = NbGraderAPI(config=config).generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise ReleaseError(f"generate_assignment failed for {assignment}:\n{result.get('error') or result.get('log')}")


def release(*, out: Path = course.RELEASES, assignments: list[str] | None = None) -> list[Path]:
    """Regenerate the student version of every assignment into ``out``; returns the notebooks written.

    Stops with ``MissingChecks`` first when an autograded cell of a master has no grader check.
    """
    from autograder.verify import coverage

    assignments = assignments or course.assignments()
    coverage.require(assignments)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'release.db'}"
        staging = Path(tmp) / "release"
        for assignment in assignments:
            generate(assignment, staging, db_url=db_url)
            target = out / assignment
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(staging / assignment, target)
            written += sorted(target.glob("*.ipynb"))
    return written
