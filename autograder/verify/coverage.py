"""Whether the grader has a check for every autograded cell of the masters, and no check for a cell none has.

A test without a grader check would score 0 for every student, so ``release`` and ``grade`` stop on any
gap (see ``docs/authoring.md`` for how to write a check).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import nbformat

from autograder import course
from autograder.errors import CannotRun

HOW = "see docs/authoring.md"


class MissingChecks(CannotRun, ValueError):
    """Autograded cells without a grader check, or checks without a cell: grading would give wrong points."""


def autograded_tests(masters: list[Path]) -> dict[str, Path]:
    """Grade ids of the autograded code cells (with points) of ``masters``, with the notebook each is in."""
    tests = {}
    for path in masters:
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and meta.get("points"):
                tests[meta["grade_id"]] = path
    return tests


def _module_path(assignment: str) -> str:
    return f"autograder/verify/{assignment}.py"


def check_name(test: str) -> str:
    """The grader's check for the autograded cell ``test``: ``test_standardize`` is judged by ``check_standardize``."""
    return "check_" + test.removeprefix("test_")


def problems(assignment: str, masters: list[Path] | None = None, checks: ModuleType | None = None) -> list[str]:
    """What is missing or left over between the masters' autograded cells and the assignment's grader checks."""
    masters = masters if masters is not None else sorted((course.SOLUTIONS / assignment).glob("*.ipynb"))
    tests = autograded_tests(masters)
    if checks is None:
        if importlib.util.find_spec(f"autograder.verify.{assignment}") is None:
            return [f"{assignment} has no grader checks: write {_module_path(assignment)} with CALLS, inputs() and "
                    f"CHECKS, one check per autograded cell ({', '.join(tests) or 'none yet'}); {HOW}"]
        checks = importlib.import_module(f"autograder.verify.{assignment}")
    defined = getattr(checks, "CHECKS", {})
    found = []
    for test, path in tests.items():
        if test not in defined:
            where = path.relative_to(course.REPO) if path.is_relative_to(course.REPO) else path
            found.append(f"{where}: the autograded cell '{test}' has no grader check, so every student would score 0 "
                         f"on it: add `{test!r}: {check_name(test)}` to CHECKS in {_module_path(assignment)} ({HOW})")
    for test in defined:
        if test not in tests:
            found.append(f"{_module_path(assignment)}: CHECKS has '{test}', but no master of {assignment} has an "
                         f"autograded cell with that grade id: rename it to the cell's grade id or remove it")
    for test in getattr(checks, "RESCUE", {}):
        if test not in defined:
            found.append(f"{_module_path(assignment)}: RESCUE has '{test}', which is not in CHECKS")
    return found


def require(assignments: list[str]) -> None:
    """Raise ``MissingChecks`` listing every gap in ``assignments``."""
    found = [line for assignment in assignments for line in problems(assignment)]
    if found:
        raise MissingChecks("the grader's checks do not match the masters' autograded cells:\n  " + "\n  ".join(found))
