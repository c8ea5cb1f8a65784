"""Call a student's functions again on fresh inputs, in a fresh sandboxed process that runs only their definitions
and what those use (:mod:`autograder.verify.definitions`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from autograder import sandboxes
from autograder.settings import GradingSettings
from autograder.verify import definitions
from autograder.verify.artifacts import Folder, History, Unusable
from autograder.errors import GraderFailed

HARNESS = Path(__file__).with_name("harness.py")
STARTED = "nnlab probe: running the definitions"  # printed by the harness before any student code
PROBE_SECONDS = 180
OUTPUT_TAIL = 4000


class ProbeNotRun(GraderFailed):
    """The probe's sandbox did not start: the grader's failure, not the student's."""


@dataclass(frozen=True)
class Call:
    """One call of a student function: ``{"npy": name}`` arguments are the verifier's arrays."""

    name: str
    function: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    output: str = "array"  # or "model", or "history" (what model.fit returns)


@dataclass(frozen=True)
class ProbeOutputs:
    """What the probe wrote, read as data; ``error(name)`` says why a call gave nothing."""

    folder: Folder
    calls: dict[str, dict]
    skipped: list[str]

    def error(self, name: str) -> str | None:
        outcome = self.calls.get(name) or {}
        if outcome.get("ok"):
            return None
        return str(outcome.get("error") or "the call did not finish")[:300]

    def _require(self, name: str) -> None:
        error = self.error(name)
        if error:
            raise Unusable(f"calling it on the grader's inputs failed: {error}")

    def array(self, name: str) -> np.ndarray:
        self._require(name)
        return self.folder.array(name)

    def argument_after(self, name: str, index: int) -> np.ndarray:
        return self.folder.array(f"{name}.arg{index}")

    def model(self, name: str):
        self._require(name)
        return self.folder.model(name)

    def history(self, name: str) -> History:
        self._require(name)
        return History.parse(self.folder.json(name), f"what {name} returned")

    def trained_argument(self, name: str, index: int) -> tuple[Path, int]:
        """The ``.keras`` file of a model the call was given (saved after the call) and its optimizer's steps."""
        self._require(name)
        steps = self.calls[name].get(f"arg{index}_optimizer_steps")
        return self.folder.root / f"{name}.arg{index}.keras", steps if isinstance(steps, int) else -1

    @classmethod
    def read(cls, root: Path) -> "ProbeOutputs":
        folder = Folder(root / "out")
        try:
            manifest = folder.json("manifest")
            calls = {str(k): dict(v) for k, v in manifest["calls"].items()}
            skipped = [str(s)[:200] for s in manifest.get("skipped", [])][:20]
        except (Unusable, KeyError, TypeError, ValueError, AttributeError):
            calls, skipped = {}, []
        return cls(folder, calls, skipped)


def write_inputs(inputs: dict[str, Any], folder: Path) -> None:
    """Save an assignment's probe inputs (arrays and Keras models) as ``NAME.npy`` / ``NAME.keras`` files."""
    for name, value in inputs.items():
        if isinstance(value, np.ndarray):
            np.save(folder / f"{name}.npy", value, allow_pickle=False)
        else:
            value.save(folder / f"{name}.keras")


def run(root: Path, submitted, master, calls: list[Call], put_inputs: Callable[[Path], None],
        settings: GradingSettings, hide: tuple[Path, ...] = ()) -> ProbeOutputs:
    """Run ``calls`` on the student's definitions in a fresh sandbox under ``root``; read what came back.

    ``put_inputs(root)`` puts the calls' input files in place (the verifier service writes them).
    """
    shutil.rmtree(root, ignore_errors=True)
    sandboxes.prepare_scratch(root, subfolders=("tmp", ".config/matplotlib", ".keras", "out"))
    put_inputs(root)
    shutil.copy(HARNESS, root / "harness.py")
    spec = {"program": definitions.program(submitted, master), "calls": [asdict(c) for c in calls]}
    (root / "probe.json").write_text(json.dumps(spec))
    sandbox = sandboxes.backend(settings.sandbox)
    argv = sandbox.command_argv(root, settings, [sys.executable, "harness.py"], hide)
    with open(root.parent / "probe-output.txt", "wb") as log:
        try:
            completed = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, timeout=PROBE_SECONDS,
                                       start_new_session=True, check=False)
        except subprocess.TimeoutExpired:
            return ProbeOutputs(Folder(root / "out"), {c.name: {"error": f"took longer than {PROBE_SECONDS} s"}
                                                       for c in calls}, [])
    printed = (root.parent / "probe-output.txt").read_bytes()
    if STARTED.encode() not in printed:
        tail = printed[-OUTPUT_TAIL:].decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise ProbeNotRun(f"the sandboxed check process did not start (exit {completed.returncode}: {tail[0][:200]})")
    return ProbeOutputs.read(root)
