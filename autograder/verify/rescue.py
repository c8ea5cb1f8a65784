"""A mistake is charged once: a later step is judged again with the reference version of an earlier function.

When an early step fails its own check (``build_mlp`` raises or builds the wrong model, ``add_noise``
shares one noise vector) and a later step that builds on it fails too, the notebook runs again in a
fresh sandboxed kernel with only those early cells replaced by the master's; the later step is then
judged on the student's own code for it, and the feedback says which reference was used.
"""

from __future__ import annotations

import copy
import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat

from autograder import course, sandboxes
from autograder.student_cells import students_cells
from autograder.job import Job
from autograder.verify.judge import Verdict
from autograder.errors import GraderFailed

START_SECONDS = 120


class RescueNotRun(GraderFailed):
    """The rescue kernel did not start: the grader's failure."""


@dataclass(frozen=True)
class Plan:
    """Which later tests to judge again, and which earlier answer cells (by id) to take from the master for it."""

    tests: tuple[str, ...]
    cells: dict[str, str]  # cell id -> the test of that step it failed

    def explanation(self) -> str:
        names = ", ".join(f"{cell} (it did not pass {test})" for cell, test in self.cells.items())
        return f"judged with the reference version of {names}: the earlier mistake costs only its own step's points"


def plan(rescuable: dict[str, dict[str, str]], verdicts: list[Verdict]) -> Plan | None:
    """``rescuable`` maps a later test to {the test of an earlier step: its cell id}; None when nothing needs it.

    A step that is judged again keeps the student's own cell: it is never replaced for a later step, which is
    then judged on it too (so no test can pass on a cell the master wrote).
    """
    failed = {v.test for v in verdicts if not v.passed}
    judged_again = {test for test, earlier in rescuable.items() if test in failed and failed & set(earlier)}
    tests, cells = [], {}
    for test in sorted(judged_again, key=list(rescuable).index):
        broken = {cell: function for function, cell in rescuable[test].items()
                  if function in failed and function not in judged_again}
        if broken:
            tests.append(test)
            cells.update(broken)
    return Plan(tuple(tests), cells) if tests else None


def student_wrote_more(submitted: nbformat.NotebookNode, release: nbformat.NotebookNode, chosen: Plan) -> bool:
    """Whether the student wrote code beyond the cells to be replaced (else nothing to judge): a code cell of theirs
    (:mod:`autograder.student_cells`) that is not empty and not as released."""
    released = {c.get("id"): c.source.strip() for c in release.cells}
    return any(cell.cell_type == "code" and cell.get("id") not in chosen.cells and cell.source.strip()
               and cell.source.strip() != released.get(cell.get("id")) for cell in students_cells(submitted, release))


def _with_reference_cells(submitted: nbformat.NotebookNode, master: nbformat.NotebookNode,
                          chosen: Plan) -> nbformat.NotebookNode:
    """The submission with the plan's cells taken from the master, up to the last test it judges again (the test
    cells save what the checks read; what follows them cannot change it)."""
    nb = copy.deepcopy(submitted)
    reference = {c.get("id"): c.source for c in master.cells}
    for cell in nb.cells:
        if cell.get("id") in chosen.cells:
            cell.source = reference[cell.get("id")]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    judged = [i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") in chosen.tests]
    if judged:
        nb.cells = nb.cells[:judged[-1] + 1]
    return nb


def run(job: Job, notebook: str, submitted: nbformat.NotebookNode, chosen: Plan, hide: tuple[Path, ...]) -> Path:
    """Run the notebook with the reference cells in a fresh sandboxed kernel; returns the artifacts folder."""
    from nbclient import NotebookClient

    master = nbformat.read(course.SOLUTIONS / job.assignment / f"{notebook}.ipynb", as_version=4)
    nb = _with_reference_cells(submitted, master, chosen)
    root = Path(job.work) / "rescue"
    shutil.rmtree(root, ignore_errors=True)
    scratch = root / "scratch"
    sandbox = sandboxes.backend(job.settings.sandbox)
    with sandboxes.kernel_place(sandbox, scratch, job.settings, hide) as place:
        manager = place.kernel_manager()
        try:
            manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            client = manager.client()
            client.start_channels()
            client.wait_for_ready(timeout=START_SECONDS)
            client.stop_channels()
        except Exception as error:  # noqa: BLE001 - whatever failed, no student code ran yet
            manager.shutdown_kernel(now=True)
            raise RescueNotRun(f"the kernel for the second run did not start ({type(error).__name__})") from None
        timeout = functools.partial(course.cell_timeout, default=job.settings.cell_timeout,
                                    training=job.settings.training_cell_timeout,
                                    setup=course.setup_sources(job.assignment))
        executor = NotebookClient(nb, km=manager, allow_errors=True, timeout_func=timeout, iopub_timeout=30,
                                  kernel_name=sandboxes.base.KERNEL_NAME)
        try:
            executor.execute(cleanup_kc=True)
        except Exception:  # noqa: BLE001 - the student's code stopped the run: judge what it saved
            pass
        finally:
            manager.shutdown_kernel(now=True)
    return scratch / "artifacts"


def merge(verdicts: list[Verdict], again: list[Verdict], chosen: Plan) -> list[Verdict]:
    """The first verdicts, except the rescued tests that passed the second time (marked and explained)."""
    passed_again = {v.test for v in again if v.passed}
    return [Verdict(v.test, True, chosen.explanation(), rescued=True) if v.test in chosen.tests and v.test in
            passed_again else v for v in verdicts]
