"""`check NOTEBOOK`: one's own notebook graded as the class's are, with the verdict in the terminal.

The notebook is graded by the same pipeline as ``grade`` (its tests, the verifier outside the kernel,
the feedback page), at a budget of one's choosing, into a folder of its own. Where no sandbox works
(no bubblewrap) it runs without one, after a warning: the notebook is one's own.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Callable

import nbformat

from autograder import course
from autograder.pipeline import ClassRun, grade_class
from autograder.results import Result
from autograder.runners.local import LocalRunner
from autograder.sandboxes import SandboxUnavailable, select
from autograder.settings import GradingSettings
from autograder.errors import CannotRun

STUDENT = "me"
NO_SANDBOX_WARNING = ("no sandbox works on this machine (bubblewrap is missing or cannot start a kernel): your "
                      "notebook runs as you, with your files and network, as it does in JupyterLab")


class NotAnAssignment(CannotRun, ValueError):
    """The notebook is none of the kit's assignments, or cannot be read."""


def assignment_of(notebook: Path) -> str:
    """The assignment whose graded cells the notebook has (by nbgrader cell id)."""
    try:
        cells = nbformat.read(notebook, as_version=4).cells
    except Exception as error:  # noqa: BLE001 - any unreadable file gets the same message
        raise NotAnAssignment(f"{notebook} is not a readable notebook ({type(error).__name__}: {error})") from None
    ids = {cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") for cell in cells} - {None}
    for assignment in course.assignments():
        graded = {c.metadata["nbgrader"]["grade_id"] for path in course.master_notebooks(assignment)
                  for c in nbformat.read(path, as_version=4).cells if c.metadata.get("nbgrader", {}).get("grade")}
        if graded and len(graded & ids) * 2 > len(graded):
            return assignment
    raise NotAnAssignment(f"{notebook} is none of the assignments ({', '.join(course.assignments())}): its graded "
                          "cells are not theirs. Check the notebook you downloaded from the course.")


def sandbox_for(requested: str, settings: GradingSettings, warn: Callable[[str], None]) -> str:
    """``requested``; for ``auto`` on a machine where no sandbox works, ``none`` after ``warn``-ing."""
    if requested != "auto":
        return requested
    try:
        select("auto", settings)
        return "auto"
    except SandboxUnavailable:
        warn(NO_SANDBOX_WARNING)
        return "none"


def check(notebook: Path, out: Path, settings: GradingSettings, *, sandbox: str = "auto",
          warn: Callable[[str], None] = print) -> tuple[ClassRun, str]:
    """Grade ``notebook`` into ``out`` (replacing an earlier check there); returns the run and its assignment."""
    assignment = assignment_of(notebook)
    submissions = out / "submission"
    shutil.rmtree(submissions, ignore_errors=True)
    folder = submissions / STUDENT / assignment
    folder.mkdir(parents=True)
    shutil.copy(notebook, folder / course.master_notebooks(assignment)[0].name)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="--sandbox none")  # said once, in our words, by sandbox_for
        run = grade_class(submissions, out / "graded", settings, sandbox=sandbox_for(sandbox, settings, warn),
                          runner=LocalRunner(1), resume=False, progress=lambda line: None)
    return run, assignment


def verdict(result: Result) -> list[str]:
    """Each autograded step's points and message, the total, and what is left to a grader."""
    lines = []
    for test in result.tests:
        mark = "\u2713" if test.passed else "\u2717"
        lines.append(f"{mark} {test.test:<24} {test.score:g} / {test.points:g}")
        message = " ".join(test.message.split())
        if message and not test.passed:
            lines.append(f"    {message[:400]}")
    lines += [f"{p.kind.value}: {p.message}" for p in result.problems]
    scores = result.scores
    if scores is None:
        return lines + [f"not graded: the grader failed ({result.status}); this is not your score"]
    lines.append(f"autograded: {scores.auto_score:g} / {scores.auto_max_score:g}"
                 + (f"; written answers ({scores.max_score - scores.auto_max_score:g} points) are graded by a person"
                    if scores.max_score > scores.auto_max_score else ""))
    return lines
