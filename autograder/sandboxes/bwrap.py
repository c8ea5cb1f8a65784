"""The bubblewrap backend: no network; an allowlist of read-only folders (system, Python, helpers, data).

As root, the kernel also drops to an unprivileged uid of its own, so file permissions and the
process-count limit apply to student code. bwrap's ``--die-with-parent`` and its PID namespace
end every process of the kernel when the grading process ends.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

import helpers
from autograder.sandboxes.base import Sandbox, kernel_env, prlimit_argv, python_argv, sandbox_uid
from autograder.settings import GradingSettings

MERGED_USR = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
# what Python, TensorFlow and matplotlib read from /etc: the dynamic linker, users, time zone, fonts
SYSTEM_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "passwd", "group", "nsswitch.conf",
                "localtime", "fonts", "mime.types")


class BwrapSandbox(Sandbox):
    """A kernel inside bubblewrap namespaces (Debian package ``bubblewrap``)."""

    name = "bwrap"
    install_hint = ("Install bubblewrap (as root: `apt-get install bubblewrap`); where it is installed but fails, "
                    "unprivileged user namespaces may be disabled (`sysctl kernel.unprivileged_userns_clone=1`) "
                    "or grading must run as root.")

    def bwrap_prefix(self, scratch: Path, ipc_dir: Path, settings: GradingSettings,
                     hide: tuple[Path, ...] = ()) -> list[str]:
        """bwrap arguments up to and including ``--``: what the kernel sees, and its environment.

        An allowlist: an empty root, then read-only binds of the system (``/usr`` and a few files of
        ``/etc``), the Python environment, the helpers and the data mirror, and the two writable
        folders of this job. Folders in ``hide`` that lie inside a visible one are covered again.
        """
        command = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
                   "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
        for name in MERGED_USR:  # /bin -> usr/bin and the like, as the host has them
            path = Path("/") / name
            if path.is_symlink():
                command += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                command += ["--ro-bind", str(path), str(path)]
        command += ["--perms", "0755", "--dir", "/etc"]
        for name in SYSTEM_FILES:
            if (Path("/etc") / name).exists():
                command += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        command += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp"]
        visible = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
                   Path(helpers.__file__).resolve().parent, Path(settings.data_dir).resolve()}
        visible = {p for p in visible if not p.is_relative_to("/usr")}
        writable = {scratch.resolve(), ipc_dir.resolve()}
        made: set[Path] = {Path("/"), Path("/tmp")}
        for path in sorted(visible | writable, key=lambda p: len(p.parts)):
            for ancestor in reversed(path.parents):  # traversable by the sandbox uid, however the host has them
                if ancestor not in made and not any(ancestor.is_relative_to(p) for p in visible | writable):
                    command += ["--perms", "0755", "--dir", str(ancestor)]
                    made.add(ancestor)
            command += ["--bind" if path in writable else "--ro-bind", str(path), str(path)]
        for path in sorted({p.resolve() for p in hide if p.is_dir()}):
            if any(path.is_relative_to(v) for v in visible) and not any(w.is_relative_to(path) for w in writable):
                command += ["--tmpfs", str(path)]
        command += ["--chdir", str(scratch), "--clearenv"]
        for key, value in kernel_env(scratch, settings).items():
            command += ["--setenv", key, value]
        return command + ["--"]

    def command_argv(self, scratch: Path, settings: GradingSettings, argv: list[str],
                     hide: tuple[Path, ...] = ()) -> list[str]:
        prefix = self.bwrap_prefix(scratch, scratch, settings, hide)
        if os.geteuid() != 0:
            return prefix + prlimit_argv(settings.limits) + argv
        return prefix + _drop_privileges_argv() + prlimit_argv(settings.limits) + argv

    def kernel_argv(self, scratch: Path, ipc_dir: Path, settings: GradingSettings,
                    hide: tuple[Path, ...] = ()) -> list[str]:
        prefix = self.bwrap_prefix(scratch, ipc_dir, settings, hide)
        python = python_argv()
        if os.geteuid() != 0:
            return prefix + prlimit_argv(settings.limits) + python
        # Inside the sandbox, still root: hand the (root-only) connection file to the sandbox uid, then drop
        # to that uid for good, so file permissions and the process-count limit apply to student code.
        uid = sandbox_uid()
        own_copy = str(scratch / "runtime" / "kernel-sandboxed.json")
        drop = " ".join(shlex.quote(a) for a in [
            *_drop_privileges_argv(), *prlimit_argv(settings.limits), *python[:4]])
        launcher = (f'install -o {uid} -g {uid} -m 600 "$0" "$1" && '
                    f'exec {drop} "$1" --HistoryManager.hist_file=:memory:')
        return prefix + ["/bin/sh", "-c", launcher, "{connection_file}", own_copy]


def _drop_privileges_argv() -> list[str]:
    """Become this grading process's sandbox uid for good (root inside the sandbox only)."""
    uid = sandbox_uid()
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
            "--bounding-set=-all"]
