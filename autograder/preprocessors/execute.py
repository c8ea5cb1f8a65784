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


class RecordingExecute(Execute):
    """Execute that writes ``progress_file`` (JSON) before each cell and when the kernel is lost."""

    progress_file = Unicode("", help="JSON file describing the last cell started and how execution ended").tag(
        config=True)
    setup_sources = List(Unicode(), help="sources of the released set-up cells; any other code is the student's").tag(
        config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._notebook = (resources or {}).get("unique_key", "")
        self._student_code_ran = False
        self._write(-1, None, event="starting kernel")
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        started = time.monotonic()
        if cell.cell_type == "code" and cell.source.strip():
            self._student_code_ran = self._student_code_ran or cell.source.strip() not in self.setup_sources
            self._write(index, cell, event="running")
        try:
            return super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as error:
            event = "stopped after time limit" if isinstance(error, CellTimeoutError) else "kernel died"
            self._write(index, cell, event=event, elapsed=time.monotonic() - started)
            raise

    def _write(self, cell_index: int, cell, *, event: str, elapsed: float = 0.0) -> None:
        if not self.progress_file:
            return
        record = {"notebook": self._notebook, "cell": cell_index + 1, "event": event, "elapsed": round(elapsed, 1),
                  "timeout": self._get_timeout(cell) if cell is not None else None,
                  "student_code_ran": self._student_code_ran}
        Path(self.progress_file).write_text(json.dumps(record))
