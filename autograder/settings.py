"""The settings of one grading run: made once from the CLI flags and the course configuration.

They never come from the instructor's shell environment (an ``NNLAB_BUDGET`` left exported while
experimenting does not change how a class is graded), they travel inside every job (local or
Dask), and they are recorded with every result and in ``grades.csv``.
"""

from __future__ import annotations

import hashlib
import os
import json
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable

from autograder import course
from autograder.errors import CannotRun

MIRROR_FILES = ("mnist.npz", "cifar10.npz")


class SettingsError(CannotRun, ValueError):
    """A grading setting is unusable; the message says which and what to do."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one kernel (per notebook); per-cell time limits are in :class:`GradingSettings`."""

    cpu_seconds: int = 900
    memory_bytes: int = 12 * 2**30  # address space; TensorFlow maps a lot it never touches
    processes: int = 1024  # per kernel (each has its own uid); threads count too
    file_bytes: int = 256 * 2**20
    scratch_bytes: int = 4 * 2**30  # the scratch folder's quota (a tmpfs of this size where the grader is root)


@dataclass(frozen=True)
class GradingSettings:
    """Everything that decides how a submission is graded (and so is part of its resume key)."""

    budget: str = "grade"
    data_dir: str = ""
    sandbox: str = "bwrap"
    limits: Limits = field(default_factory=Limits)
    cell_timeout: int = course.CELL_TIMEOUT_S
    notebook_timeout: int = 900

    @property
    def training_cell_timeout(self) -> int:
        """Seconds a training cell (metadata ``nnlab.training``) may run at this budget."""
        return course.TRAINING_CELL_TIMEOUT_S.get(self.budget, 4 * 3600)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "GradingSettings":
        return cls(**{**values, "limits": Limits(**values.get("limits", {}))})

    def with_sandbox(self, name: str) -> "GradingSettings":
        return replace(self, sandbox=name)

    def fingerprint(self) -> str:
        """A short hash of every setting and of the mirror's files (names, sizes, modification times)."""
        mirror = [(name, (Path(self.data_dir) / name).stat().st_size, (Path(self.data_dir) / name).stat().st_mtime_ns)
                  for name in MIRROR_FILES if (Path(self.data_dir) / name).is_file()]
        text = json.dumps({"settings": self.to_dict(), "mirror": mirror}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def data_dir_or_keras_mirror(folder: Path, say: Callable[[str], None] = print) -> str:
    """``NNLAB_DATA_DIR``, or a mirror saved into ``folder`` from Keras' own datasets (downloaded if not cached)."""
    data_dir = os.environ.get("NNLAB_DATA_DIR")
    if data_dir:
        return data_dir
    from helpers.data import build_mirror

    say(f"NNLAB_DATA_DIR is not set: saving Keras' datasets as a mirror for the sandbox in {folder} "
        "(downloads them if Keras has not yet)")
    return str(build_mirror(folder).resolve())


def make_settings(*, budget: str = "grade", data_dir: str | Path | None, sandbox: str = "bwrap",
                  limits: Limits | None = None, cell_timeout: int | None = None,
                  notebook_timeout: int = GradingSettings.notebook_timeout) -> GradingSettings:
    """Validated settings: a known budget, a readable dataset mirror, positive limits."""
    from helpers.budget import BUDGETS

    if budget not in BUDGETS:
        raise SettingsError(f"unknown budget {budget!r}: choose one of {', '.join(BUDGETS)}")
    if not data_dir:
        raise SettingsError("no dataset mirror: pass --data-dir DIR (or set NNLAB_DATA_DIR) to a folder with "
                            f"{' and '.join(MIRROR_FILES)}; graded notebooks have no network and cannot download")
    mirror = Path(data_dir).expanduser().resolve()
    missing = [name for name in MIRROR_FILES if not (mirror / name).is_file()]
    if missing:
        raise SettingsError(f"the dataset mirror {mirror} lacks {', '.join(missing)}: point --data-dir (or "
                            "NNLAB_DATA_DIR) at the folder that holds them")
    unreadable = [name for name in MIRROR_FILES if not _readable(mirror / name)]
    if unreadable:
        raise SettingsError(f"cannot read {', '.join(unreadable)} in {mirror}: check its permissions")
    if (cell_timeout is not None and cell_timeout <= 0) or notebook_timeout <= 0:
        raise SettingsError("timeouts must be positive numbers of seconds")
    if limits is not None and min(limits.memory_bytes, limits.scratch_bytes) < 2**20:
        raise SettingsError("--memory-gb and --scratch-gb must be positive (at least a MiB)")
    return GradingSettings(budget=budget, data_dir=str(mirror), sandbox=sandbox, limits=limits or Limits(),
                           cell_timeout=cell_timeout or course.CELL_TIMEOUT_S, notebook_timeout=notebook_timeout)


def _readable(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return len(handle.read(4)) == 4
    except OSError:
        return False
