"""Run a student's kernel isolated: no network, read-only system, only its scratch folder writable.

The kernel command of a Jupyter kernelspec is wrapped, so nbgrader itself (which holds the
gradebook and the hidden tests) stays outside the sandbox while the student's code runs inside.
Kernel and grader talk over IPC sockets in the scratch folder (there is no shared network).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import helpers

SANDBOXES = ("bwrap", "docker", "none")
FIRST_SANDBOX_UID = 200_000  # kernels run as unprivileged uids from here (root is exempt from process limits)


def sandbox_uid() -> int:
    """A uid for this grading process's kernel, distinct from every other grading process running now.

    The process-count limit (RLIMIT_NPROC) counts all processes of a uid, so each sandbox gets its
    own: a fork bomb in one submission cannot starve the kernel of another.
    """
    return FIRST_SANDBOX_UID + os.getpid()


@dataclass(frozen=True)
class Limits:
    """Resource limits of one kernel (per notebook); the per-cell limit is nbgrader's Execute timeout."""

    cpu_seconds: int = 900
    memory_bytes: int = 12 * 2**30  # address space; TensorFlow maps a lot it never touches
    processes: int = 1024  # per kernel (each has its own uid); threads count too
    file_bytes: int = 256 * 2**20
    notebook_wall_seconds: int = 900


class SandboxUnavailable(RuntimeError):
    """The requested sandbox cannot run on this machine."""


def bwrap_works() -> bool:
    """True when bubblewrap is installed and can create its namespaces here."""
    if not shutil.which("bwrap"):
        return False
    probe = subprocess.run(["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def choose(kind: str) -> str:
    """Resolve ``auto`` and check that the requested sandbox can run."""
    if kind == "auto":
        return "bwrap" if bwrap_works() else "docker" if shutil.which("docker") else "none"
    if kind == "bwrap" and not bwrap_works():
        raise SandboxUnavailable("bubblewrap is not usable here: install the Debian package `bubblewrap` "
                                 "(apt-get install bubblewrap) or choose --sandbox docker / none")
    if kind == "docker" and not shutil.which("docker"):
        raise SandboxUnavailable("docker is not installed; choose --sandbox bwrap or none")
    if kind == "none":
        warnings.warn("--sandbox none: student code runs with your permissions, network and files. "
                      "Use it only for trusted notebooks.", stacklevel=2)
    return kind


def _prlimit(limits: Limits) -> list[str]:
    return ["prlimit", f"--cpu={limits.cpu_seconds}", f"--as={limits.memory_bytes}",
            f"--nproc={limits.processes}", f"--fsize={limits.file_bytes}", "--core=0"]


def _kernel_env(scratch: Path) -> dict[str, str]:
    keep = {k: os.environ[k] for k in ("NNLAB_BUDGET", "LANG") if k in os.environ}
    if os.environ.get("NNLAB_DATA_DIR"):  # the resolved path: that is where the mirror is bound in the sandbox
        keep["NNLAB_DATA_DIR"] = str(Path(os.environ["NNLAB_DATA_DIR"]).resolve())
    # TensorFlow's C++ log lines go to stderr, and nbgrader fails a test cell that writes to stderr
    return {**keep, "TF_CPP_MIN_LOG_LEVEL": "3", "HOME": str(scratch), "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "MPLCONFIGDIR": str(scratch / ".config" / "matplotlib"), "KERAS_HOME": str(scratch / ".keras"),
            "TMPDIR": str(scratch / "tmp"), "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
            "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}


HIDDEN_ROOTS = ("/tmp", "/var/tmp", "/root", "/home", "/work", "/srv", "/mnt", "/opt", "/run")


def _bwrap_command(scratch: Path, limits: Limits, hide: tuple[Path, ...] = (),
                   ipc_dir: Path | None = None) -> list[str]:
    """bwrap arguments: system read-only, home folders, /tmp and /work hidden, only ``scratch`` writable.

    The command ends with ``--``; :func:`kernel_argv` adds the step that drops to the sandbox uid.
    """
    visible = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), Path(helpers.__file__).resolve().parent}
    data_dir = os.environ.get("NNLAB_DATA_DIR")
    if data_dir:
        visible.add(Path(data_dir).resolve())
    hidden = sorted({h for h in HIDDEN_ROOTS if Path(h).is_dir()} | {str(p.resolve()) for p in hide if p.is_dir()},
                    key=lambda h: len(Path(h).parts))
    command = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
               "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
               "--die-with-parent", "--new-session"]
    for root in hidden:
        command += ["--perms", "0755", "--tmpfs", root]
    writable = {scratch} | ({ipc_dir} if ipc_dir else set())
    made: set[Path] = set()
    for path in sorted(visible | writable, key=lambda p: len(p.parts)):
        for ancestor in reversed(path.parents):
            if ancestor not in made and any(ancestor.is_relative_to(h) and str(ancestor) != h for h in hidden):
                command += ["--perms", "0755", "--dir", str(ancestor)]
                made.add(ancestor)
        command += ["--bind" if path in writable else "--ro-bind", str(path), str(path)]
    command += ["--chdir", str(scratch), "--clearenv"]
    for key, value in _kernel_env(scratch).items():
        command += ["--setenv", key, value]
    return command + ["--"]


def kernel_argv(kind: str, scratch: Path, limits: Limits, hide: tuple[Path, ...] = (),
                ipc_dir: Path | None = None) -> list[str]:
    """The argv of the sandboxed kernel (``{connection_file}`` is filled in by Jupyter).

    ``hide`` lists folders (the course repository, the grading output, the submissions) whose
    contents the kernel must not see, wherever they are; ``ipc_dir`` holds the kernel's sockets.
    """
    python = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
              "--HistoryManager.hist_file=:memory:"]
    if kind == "bwrap" and os.geteuid() == 0:
        # Inside the sandbox, still root: hand the (root-only) connection file to the sandbox uid, then drop
        # to that uid for good, so file permissions and the process-count limit apply to student code.
        uid = sandbox_uid()
        own_copy = str(scratch / "runtime" / "kernel-sandboxed.json")
        drop = " ".join(shlex.quote(a) for a in [
            "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all", *_prlimit(limits), *python[:4]])
        launcher = (f'install -o {uid} -g {uid} -m 600 "$0" "$1" && '
                    f'exec {drop} "$1" --HistoryManager.hist_file=:memory:')
        return _bwrap_command(scratch, limits, hide, ipc_dir) + ["/bin/sh", "-c", launcher, "{connection_file}", own_copy]
    if kind == "bwrap":
        return _bwrap_command(scratch, limits, hide, ipc_dir) + _prlimit(limits) + python
    if kind == "docker":
        image = os.environ.get("NNLAB_DOCKER_IMAGE", "nnlab-grader")
        return ["docker", "run", "--rm", "-i", "--network=none", "--read-only", f"--memory={limits.memory_bytes}",
                f"--pids-limit={limits.processes}", "--cpus=1", "-v", f"{scratch}:{scratch}", "-w", str(scratch),
                "--tmpfs", "/tmp", image, "python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    return ["/bin/sh", "-c", 'cd "$0" && exec "$@"', str(scratch)] + _prlimit(limits) + python


def install_kernelspec(kind: str, scratch: Path, limits: Limits, hide: tuple[Path, ...] = (),
                       ipc_dir: Path | None = None) -> tuple[str, Path]:
    """Write a kernelspec that starts the sandboxed kernel; returns (kernel name, JUPYTER_PATH folder)."""
    jupyter_path = scratch.parent / "jupyter"
    spec_dir = jupyter_path / "kernels" / "nnlab-sandbox"
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": kernel_argv(kind, scratch, limits, hide, ipc_dir), "display_name": f"nnlab sandbox ({kind})",
            "language": "python", "interrupt_mode": "message",  # signals do not cross bwrap's new session
            "env": {} if kind != "none" else _kernel_env(scratch)}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return "nnlab-sandbox", jupyter_path


def prepare_scratch(scratch: Path, subfolders: tuple[str, ...] = ("tmp", "runtime", ".config/matplotlib", ".keras"),
                    ) -> None:
    """Create a folder the sandboxed kernel may write (its scratch, or its socket folder), owned by its uid."""
    for sub in ("", *subfolders):
        (scratch / sub).mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        for path in [scratch, *scratch.rglob("*")]:
            os.chown(path, sandbox_uid(), sandbox_uid())
    scratch.chmod(0o777)
