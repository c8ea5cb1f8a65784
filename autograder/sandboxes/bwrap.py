"""The bubblewrap backend: no network, read-only system, home folders, /tmp and the course hidden.

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

HIDDEN_ROOTS = ("/tmp", "/var/tmp", "/root", "/home", "/work", "/srv", "/mnt", "/opt", "/run")


class BwrapSandbox(Sandbox):
    """A kernel inside bubblewrap namespaces (Debian package ``bubblewrap``)."""

    name = "bwrap"
    install_hint = ("Install bubblewrap (as root: `apt-get install bubblewrap`); where it is installed but fails, "
                    "unprivileged user namespaces may be disabled (`sysctl kernel.unprivileged_userns_clone=1`) "
                    "or grading must run as root.")

    def bwrap_prefix(self, scratch: Path, ipc_dir: Path, settings: GradingSettings,
                     hide: tuple[Path, ...] = ()) -> list[str]:
        """bwrap arguments up to and including ``--``: what the kernel sees, and its environment."""
        visible = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(),
                   Path(helpers.__file__).resolve().parent, Path(settings.data_dir)}
        hidden = sorted({h for h in HIDDEN_ROOTS if Path(h).is_dir()} | {str(p.resolve()) for p in hide if p.is_dir()},
                        key=lambda h: len(Path(h).parts))
        command = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                   "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
                   "--die-with-parent", "--new-session"]
        for root in hidden:
            command += ["--perms", "0755", "--tmpfs", root]
        writable = {scratch, ipc_dir}
        made: set[Path] = set()
        for path in sorted(visible | writable, key=lambda p: len(p.parts)):
            for ancestor in reversed(path.parents):
                if ancestor not in made and any(ancestor.is_relative_to(h) and str(ancestor) != h for h in hidden):
                    command += ["--perms", "0755", "--dir", str(ancestor)]
                    made.add(ancestor)
            command += ["--bind" if path in writable else "--ro-bind", str(path), str(path)]
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
