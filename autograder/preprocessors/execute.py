"""nbgrader's Execute, recording where the kernel was when a notebook stopped, and keeping the cells before a
student's cell that had to be stopped.

nbgrader discards a notebook whose kernel dies or stops answering; this record tells the worker
whether that happened before any student code ran (the grader's failure), at a cell's time limit
(a limit), or while student code ran (the student's). A student's cell that ran past its time limit
and then did not finish when interrupted (it ignored the interrupt, or flooded the output faster than
it can be read) costs that cell and the ones after it, not the notebook: the kernel is stopped, the
cell gets a ``CellTimeoutError`` output, the later cells are not run (their tests fail), and the
notebook is graded with what the earlier cells did.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Any, List, Unicode

IGNORED_INTERRUPT = ("the cell ran past its {timeout} s limit and ignored the interrupt (or flooded its output "
                     "faster than it can be read): the kernel was stopped and the later cells did not run")
RESOURCE_ERRORS = ("MemoryError", "BlockingIOError")  # what Python raises at the memory and process limits
NOT_RUN = "not run: cell {cell} was stopped at its time limit and the kernel with it"
VERIFICATION_PHASE = "verification (probe and checks)"


def cell_phase(cell, setup_sources: list[str]) -> str:
    """Where a cell's time goes in the grading-time breakdown (``setup_sources``: the released set-up cells)."""
    meta = cell.get("metadata", {})
    if cell.cell_type != "code" or not cell.source.strip():
        return "other cells"
    if cell.source.strip() in setup_sources:
        return "imports and data loading"
    if meta.get("nnlab", {}).get("training"):
        return "training cells"
    if meta.get("nbgrader", {}).get("grade") and not meta.get("nbgrader", {}).get("solution"):
        return "test cells"
    return "other cells"


class RecordingExecute(Execute):
    """Execute that writes ``progress_file`` (JSON) before each cell and when the kernel is lost."""

    progress_file = Unicode("", help="JSON file describing the last cell started and how execution ended").tag(
        config=True)
    setup_sources = List(Unicode(), help="sources of the released set-up cells; any other code is the student's").tag(
        config=True)
    before_student_code = Any(None, allow_none=True, help="called before the first student cell runs (the worker "
                              "waits there for its probes); its time counts to the verification phase").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._notebook = (resources or {}).get("unique_key", "")
        self._student_code_ran = False
        self._stopped_at: int | None = None  # the number of the student's cell whose kernel had to be stopped
        self._limit_hit: dict | None = None  # the first cell whose output shows a resource limit (see _note_limit)
        self._seconds = self._earlier_seconds()
        self._started = time.monotonic()
        self._write(-1, None, event="starting kernel")
        nb, resources = super().preprocess(nb, resources, km)
        self._write(len(nb.cells) - 1, None, event="finished")
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if self._stopped_at is not None:
            return self._not_run(cell), resources
        started = time.monotonic()
        if self._started is not None:  # the kernel is up when the first cell arrives
            self._add("kernel start", started - self._started)
            self._started = None
        if cell.cell_type == "code" and cell.source.strip():
            students = cell.source.strip() not in self.setup_sources
            if students and not self._student_code_ran and self.before_student_code is not None:
                self.before_student_code()
                self._add(VERIFICATION_PHASE, time.monotonic() - started)
                started = time.monotonic()
            self._student_code_ran = self._student_code_ran or students
            self._write(index, cell, event="running")
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
            self._note_limit(cell, index)
            return cell, resources
        except (DeadKernelError, CellTimeoutError) as error:
            event = "stopped after time limit" if isinstance(error, CellTimeoutError) else "kernel died"
            self._write(index, cell, event=event, elapsed=time.monotonic() - started)
            if isinstance(error, CellTimeoutError) and self._student_code_ran:
                return self._stop_at(cell, index), resources
            raise
        finally:
            self._add(cell_phase(cell, self.setup_sources), time.monotonic() - started)

    def _note_limit(self, cell, index: int) -> None:
        """Remember the first cell that hit the memory or process limit: processes it left running (or memory it
        holds) can make the kernel die in a later cell, and the limit is the cause to report."""
        if self._limit_hit is not None or cell.cell_type != "code":
            return
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in RESOURCE_ERRORS:
                self._limit_hit = {"cell": index + 1, "ename": output["ename"]}
                return

    def _stop_at(self, cell, index: int):
        """Stop the kernel that did not stop at ``cell``; the cell says why, the later cells will not run."""
        run_sync(self.km.shutdown_kernel)(now=True)
        self._stopped_at = index + 1
        message = IGNORED_INTERRUPT.format(timeout=self._get_timeout(cell))
        cell.outputs.append(new_output("error", ename="CellTimeoutError", evalue=message,
                                       traceback=[f"CellTimeoutError: {message}"]))
        return cell

    def _not_run(self, cell):
        """A cell after the stopped one: no outputs; a test cell fails with the reason."""
        if cell.cell_type != "code":
            return cell
        cell.outputs, cell.execution_count = [], None
        nbgrader = cell.metadata.get("nbgrader", {})
        if nbgrader.get("grade") and not nbgrader.get("solution"):
            message = NOT_RUN.format(cell=self._stopped_at)
            cell.outputs.append(new_output("error", ename="CellNotRun", evalue=message,
                                           traceback=[f"CellNotRun: {message}"]))
        return cell

    def _add(self, phase: str, seconds: float) -> None:
        self._seconds[phase] = round(self._seconds.get(phase, 0.0) + seconds, 3)

    def _earlier_seconds(self) -> dict[str, float]:
        """Seconds recorded by the notebooks of this submission executed before this one."""
        try:
            return dict(json.loads(Path(self.progress_file).read_text()).get("seconds", {}))
        except (OSError, ValueError):
            return {}

    def _write(self, cell_index: int, cell, *, event: str, elapsed: float = 0.0) -> None:
        if not self.progress_file:
            return
        record = {"notebook": self._notebook, "cell": cell_index + 1, "event": event, "elapsed": round(elapsed, 1),
                  "timeout": self._get_timeout(cell) if cell is not None else None,
                  "student_code_ran": self._student_code_ran, "limit_hit": self._limit_hit, "seconds": self._seconds}
        Path(self.progress_file).write_text(json.dumps(record))
