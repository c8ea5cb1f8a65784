"""``--sandbox none``: the kernel runs with the grader's permissions, files and network (trusted notebooks only).

The environment is still only the settings' (``env -i``), and the kernel gets SIGKILL when the
grading process ends, so a killed job leaves no kernel behind.
"""

from __future__ import annotations

from pathlib import Path

from autograder.sandboxes.base import Sandbox, kernel_env, prlimit_argv, python_argv
from autograder.settings import GradingSettings


class NoSandbox(Sandbox):
    """No isolation: resource limits only."""

    name = "none"
    install_hint = "Check that ipykernel is installed in the kit's environment (`make setup`)."

    def command_argv(self, scratch: Path, settings: GradingSettings, argv: list[str],
                     hide: tuple[Path, ...] = ()) -> list[str]:
        environment = [f"{key}={value}" for key, value in kernel_env(scratch, settings).items()]
        return ["env", "-i", *environment, "setpriv", "--pdeathsig", "KILL", "/bin/sh", "-c", 'cd "$0" && exec "$@"',
                str(scratch), *prlimit_argv(settings.limits), *argv]

    def kernel_argv(self, scratch: Path, ipc_dir: Path, settings: GradingSettings,
                    hide: tuple[Path, ...] = ()) -> list[str]:
        return self.command_argv(scratch, settings, python_argv(), hide)
