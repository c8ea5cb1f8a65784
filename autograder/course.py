"""The nbgrader configuration of the kit: where masters and releases live, limits, feedback."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Collection

from traitlets.config import Config

if TYPE_CHECKING:
    import nbformat

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "solutions"
RELEASES = REPO / "notebooks"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
COURSE_ID = "nnlab"  # nbgrader's course id; a server gradebook needs a non-empty one

# Seconds a cell may run: training cells (metadata nnlab.training) get the budget's limit.
CELL_TIMEOUT_S = 120
SETUP_CELL_TIMEOUT_S = 600  # imports and data loading, whatever --cell-timeout says (see cell_timeout)
TRAINING_CELL_TIMEOUT_S = {"smoke": 300, "grade": 300, "full": 4 * 3600}


HIDDEN_TESTS = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.S)


def without_hidden_tests(source: str) -> str:
    """A cell's source with its hidden-test regions removed (what students see)."""
    return HIDDEN_TESTS.sub("", source)


def gradebook(db_url: str):
    """nbgrader's Gradebook for this course at ``db_url`` (use as a context manager)."""
    from nbgrader.api import Gradebook

    _put_interpreter_tools_on_path()
    return Gradebook(db_url, course_id=COURSE_ID)


def assignments() -> list[str]:
    """Assignment ids: the folders of ``solutions/``."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and not p.name.startswith("."))


def max_scores(assignment: str) -> tuple[float, float]:
    """(all points, autograded points) of an assignment, read from its master notebooks."""
    import nbformat

    total = auto = 0.0
    for path in (SOLUTIONS / assignment).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                total += meta.get("points", 0)
                auto += meta.get("points", 0) if cell.cell_type == "code" else 0
    return total, auto


def master_notebooks(assignment: str) -> list[Path]:
    """The master and released notebooks of an assignment (what grading it depends on)."""
    return sorted((SOLUTIONS / assignment).glob("*.ipynb")) + sorted((RELEASES / assignment).glob("*.ipynb"))


def released_notebooks(assignment: str) -> dict[str, nbformat.NotebookNode]:
    """The released notebooks of an assignment by name (``noise_mlp``), read afresh: the one reader of them."""
    import nbformat

    return {path.stem: nbformat.read(path, as_version=4) for path in sorted((RELEASES / assignment).glob("*.ipynb"))}


def setup_sources(assignment: str) -> list[str]:
    """Sources of the released code cells that run before the first answer cell (imports, data loading).

    Only code identical to these counts as the grader's own set-up; anything else is the student's.
    """
    sources = []
    for nb in released_notebooks(assignment).values():
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if cell.metadata.get("nbgrader", {}).get("solution"):
                break
            sources.append(cell.source.strip())
    return sources


def cell_timeout(cell, default: int = CELL_TIMEOUT_S, training: int | None = None,
                 setup: Collection[str] = ()) -> int:
    """Per-cell timeout for nbgrader's Execute preprocessor (``Execute.timeout_func``).

    Training cells (metadata ``nnlab.training``) get ``training`` seconds; without it (JupyterLab's
    Validate button) the limit of the budget the student set. The grader's own set-up cells (``setup``:
    :func:`setup_sources`) get at least ``SETUP_CELL_TIMEOUT_S``: a limit meant for students' code must not
    stop the imports and data loading on a busy machine (the notebook's wall-clock limit still holds).
    """
    if cell.get("source", "").strip() in setup:
        return max(default, SETUP_CELL_TIMEOUT_S)
    if cell.get("metadata", {}).get("nnlab", {}).get("training"):
        if training is not None:
            return training
        from helpers.budget import get_budget

        return TRAINING_CELL_TIMEOUT_S.get(get_budget().name, 4 * 3600)
    return default


def _put_interpreter_tools_on_path() -> None:
    # nbgrader runs `alembic` from PATH; with `.venv/bin/python` called directly that folder may be missing.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def nbgrader_config(*, root: Path = REPO, db_url: str | None = None, source: Path = SOLUTIONS,
                    release: Path = RELEASES) -> Config:
    """Build the nbgrader Config used by every step (release, autograde, feedback)."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, GetGrades, IgnorePattern, LimitOutput,
                                        SaveAutoGrades)

    from autograder.preprocessors.clear_hidden_tests import ClearHiddenTestsInTestCells
    from autograder.preprocessors.execute import RecordingExecute
    from autograder.preprocessors.late_notice import LateNotice
    from autograder.preprocessors.limit_output_size import LimitOutputSize
    from autograder.preprocessors.remove_rubrics import RemoveRubrics
    from autograder.preprocessors.sanitize_html import SanitizeHtml
    from autograder.preprocessors.strip_tracebacks import StripTestTracebacks

    _put_interpreter_tools_on_path()
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.source_directory = str(source)
    c.CourseDirectory.release_directory = str(release)
    c.CourseDirectory.db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    c.ClearSolutions.code_stub = {"python": CODE_STUB}
    c.Execute.timeout_func = cell_timeout
    c.Execute.timeout = CELL_TIMEOUT_S
    c.Execute.allow_errors = True
    c.Execute.iopub_timeout = 30
    c.LimitOutput.max_lines = 200
    c.LimitOutput.max_traceback = 50
    # nbgrader's default autograde steps (Execute recording where it stopped), plus a cap on the size of each output
    c.Autograde.autograde_preprocessors = [RecordingExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput,
                                           LimitOutputSize, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
    c.GenerateFeedback.preprocessors = [RemoveRubrics, GetGrades, LateNotice, ClearHiddenTestsInTestCells,
                                        StripTestTracebacks, SanitizeHtml, CSSHTMLHeaderPreprocessor]
    c.ClearHiddenTests.enforce_metadata = False  # ClearHiddenTestsInTestCells (feedback) and release alike
    c.HTMLExporter.sanitize_html = True  # student HTML and scripts in outputs and markdown never run in feedback
    c.OverwriteCells.add_missing_cells = True  # deleted test cells come back from the master
    return c
