"""What every sandbox backend provides, and the parts they share.

The kernel command of a Jupyter kernelspec is wrapped, so nbgrader itself (which holds the
gradebook and the hidden tests) stays outside the sandbox while the student's code runs inside.
Kernel and grader talk over IPC sockets in a short folder of their own (there is no shared network).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from autograder.owned import owned_folder
from autograder.settings import GradingSettings, Limits
import helpers
from autograder.errors import CannotRun
from helpers.budget import BUDGET_ENV, GRADER_BUDGET_ENV

KERNEL_NAME = "nnlab-sandbox"
FIRST_SANDBOX_UID = 200_000  # kernels run as unprivileged uids from here (root is exempt from process limits)
PROBE_SECONDS = 90


class SandboxUnavailable(CannotRun, RuntimeError):
    """No sandbox can start a kernel here; the message says what to install or start."""


def sandbox_uid() -> int:
    """A uid for this grading process's kernel, distinct from every other grading process running now.

    The process-count limit (RLIMIT_NPROC) counts all processes of a uid, so each sandbox gets its
    own: a fork bomb in one submission cannot starve the kernel of another.
    """
    return FIRST_SANDBOX_UID + os.getpid()


def python_argv() -> list[str]:
    """The kernel itself (``{connection_file}`` is filled in by Jupyter)."""
    return [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
            "--HistoryManager.hist_file=:memory:"]


def prlimit_argv(limits: Limits) -> list[str]:
    return ["prlimit", f"--cpu={limits.cpu_seconds}", f"--as={limits.memory_bytes}",
            f"--nproc={limits.processes}", f"--fsize={limits.file_bytes}", "--core=0"]


HELPERS_ROOT = Path(helpers.__file__).resolve().parents[1]  # the folder that holds the ``helpers`` package


def kernel_env(scratch: Path, settings: GradingSettings) -> dict[str, str]:
    """The kernel's whole environment: built from the settings, nothing inherited from the grader's shell."""
    return {BUDGET_ENV: settings.budget, GRADER_BUDGET_ENV: settings.budget, "NNLAB_DATA_DIR": settings.data_dir,
            "LANG": "C.UTF-8", "HOME": str(scratch),
            # TensorFlow's C++ log lines go to stderr, and nbgrader fails a test cell that writes to stderr
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "MPLCONFIGDIR": str(scratch / ".config" / "matplotlib"), "KERAS_HOME": str(scratch / ".keras"),
            "TMPDIR": str(scratch / "tmp"), "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
            "NNLAB_ARTIFACTS": str(scratch / "artifacts"),
            "PYTHONPATH": str(HELPERS_ROOT),  # the grader's own helpers, whichever copy of the kit is grading
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}


class Sandbox(ABC):
    """One way of running a kernel isolated from the grader and from other submissions."""

    name: str
    install_hint: str

    @abstractmethod
    def kernel_argv(self, scratch: Path, ipc_dir: Path, settings: GradingSettings,
                    hide: tuple[Path, ...] = ()) -> list[str]:
        """The kernelspec argv; ``hide`` lists folders the kernel must not see (repository, output, submissions)."""

    @abstractmethod
    def command_argv(self, scratch: Path, settings: GradingSettings, argv: list[str],
                     hide: tuple[Path, ...] = ()) -> list[str]:
        """``argv`` run the way a kernel would be: same isolation, limits and environment, ``scratch`` writable."""

    def probe(self, settings: GradingSettings) -> None:
        """Start a trivial kernel through the exact kernelspec grading uses; raise SandboxUnavailable if it fails."""
        root = owned_folder("probe")
        try:
            with kernel_place(self, root / "scratch", settings) as place:
                answer = _run_trivial_kernel(place)
        except Exception as error:  # noqa: BLE001 - whatever failed, the sandbox does not work here
            raise SandboxUnavailable(f"the {self.name} sandbox could not start a kernel "
                                     f"({type(error).__name__}: {error}). {self.install_hint}") from None
        finally:
            shutil.rmtree(root, ignore_errors=True)
        if answer != "42":
            raise SandboxUnavailable(f"the {self.name} sandbox started a kernel that did not compute 6 * 7 "
                                     f"(got {answer!r}). {self.install_hint}")


@dataclass(frozen=True)
class KernelPlace:
    """Where one sandboxed kernel runs: its writable scratch, its socket folder and the kernelspec that starts it."""

    scratch: Path
    ipc_dir: Path
    jupyter_path: Path

    def manager_settings(self) -> dict[str, Any]:
        """The ``KernelManager`` settings that start this kernel over IPC (the sandbox has no network)."""
        return {"transport": "ipc", "ip": str(self.ipc_dir / "kernel"),
                "connection_file": str(self.scratch / "runtime" / "kernel.json")}

    def kernel_manager(self):
        """A ``KernelManager`` for this place's sandboxed kernel (not started)."""
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        specs = KernelSpecManager(kernel_dirs=[str(self.jupyter_path / "kernels")])
        return KernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs, **self.manager_settings())


@contextlib.contextmanager
def kernel_place(sandbox: Sandbox, scratch: Path, settings: GradingSettings,
                 hide: tuple[Path, ...] = ()) -> Iterator[KernelPlace]:
    """Prepare ``scratch``, a short socket folder and the kernelspec; remove the socket folder afterwards.

    zmq IPC socket paths must stay under ~100 characters, so the sockets get a short folder of their own.
    """
    ipc_dir = owned_folder("ipc")
    try:
        prepare_scratch(scratch)
        prepare_scratch(ipc_dir, subfolders=())
        yield KernelPlace(scratch, ipc_dir, install_kernelspec(sandbox, scratch, ipc_dir, settings, hide))
    finally:
        shutil.rmtree(ipc_dir, ignore_errors=True)


def _run_trivial_kernel(place: KernelPlace) -> str:
    manager = place.kernel_manager()
    manager.start_kernel(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=PROBE_SECONDS)
            printed: list[str] = []
            client.execute_interactive("print(6 * 7)", timeout=PROBE_SECONDS,
                                       output_hook=lambda m: printed.append(m["content"].get("text", "")))
            return "".join(printed).strip()
        finally:
            client.stop_channels()
    finally:
        manager.shutdown_kernel(now=True)


def install_kernelspec(sandbox: Sandbox, scratch: Path, ipc_dir: Path, settings: GradingSettings,
                       hide: tuple[Path, ...] = ()) -> Path:
    """Write the kernelspec that starts the sandboxed kernel; returns the JUPYTER_PATH folder holding it."""
    jupyter_path = scratch.parent / "jupyter"
    spec_dir = jupyter_path / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": sandbox.kernel_argv(scratch, ipc_dir, settings, hide),
            "display_name": f"nnlab sandbox ({sandbox.name})", "language": "python",
            "interrupt_mode": "message"}  # signals do not cross bwrap's new session; the argv sets the environment
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return jupyter_path


def prepare_scratch(scratch: Path, subfolders: tuple[str, ...] = ("tmp", "runtime", ".config/matplotlib", ".keras",
                                                                   "artifacts"),
                    ) -> None:
    """Create a folder the sandboxed kernel may write (its scratch, or its socket folder), owned by its uid."""
    for sub in ("", *subfolders):
        (scratch / sub).mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        for path in [scratch, *scratch.rglob("*")]:
            os.chown(path, sandbox_uid(), sandbox_uid())
    scratch.chmod(0o777)
