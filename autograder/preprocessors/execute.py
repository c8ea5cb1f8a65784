"""nbgrader's Execute, recording where the kernel was when a notebook stopped.

nbgrader discards a notebook whose kernel dies or stops answering; this record tells the worker
whether that happened before any student code ran (the grader's failure), at a cell's time limit
(a limit), or while student code ran (the student's).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute
from traitlets import List, Unicode


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

    def preprocess(self, nb, resources=None, km=None):
        self._notebook = (resources or {}).get("unique_key", "")
        self._student_code_ran = False
        self._seconds = self._earlier_seconds()
        self._started = time.monotonic()
        self._write(-1, None, event="starting kernel")
        nb, resources = super().preprocess(nb, resources, km)
        self._write(len(nb.cells) - 1, None, event="finished")
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        started = time.monotonic()
        if self._started is not None:  # the kernel is up when the first cell arrives
            self._add("kernel start", started - self._started)
            self._started = None
        if cell.cell_type == "code" and cell.source.strip():
            self._student_code_ran = self._student_code_ran or cell.source.strip() not in self.setup_sources
            self._write(index, cell, event="running")
        try:
            return super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as error:
            event = "stopped after time limit" if isinstance(error, CellTimeoutError) else "kernel died"
            self._write(index, cell, event=event, elapsed=time.monotonic() - started)
            raise
        finally:
            self._add(cell_phase(cell, self.setup_sources), time.monotonic() - started)

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
                  "student_code_ran": self._student_code_ran, "seconds": self._seconds}
        Path(self.progress_file).write_text(json.dumps(record))
