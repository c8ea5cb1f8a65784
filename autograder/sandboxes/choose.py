"""Pick the sandbox backend whose probe starts a real kernel; refuse to grade when none does."""

from __future__ import annotations

import warnings

from autograder.sandboxes.base import Sandbox, SandboxUnavailable
from autograder.sandboxes.bwrap import BwrapSandbox
from autograder.sandboxes.unsandboxed import NoSandbox
from autograder.settings import GradingSettings

BACKENDS: dict[str, type[Sandbox]] = {"bwrap": BwrapSandbox, "none": NoSandbox}
CHOICES = ("auto", *BACKENDS)
AUTO_ORDER = ("bwrap",)  # `none` is never chosen for you


def backend(name: str) -> Sandbox:
    """The backend called ``name`` (as recorded in the settings)."""
    try:
        return BACKENDS[name]()
    except KeyError:
        raise SandboxUnavailable(f"unknown sandbox {name!r}: choose one of {', '.join(CHOICES)}") from None


def select(requested: str, settings: GradingSettings) -> Sandbox:
    """The backend to grade with, after it started a trivial kernel; raises SandboxUnavailable otherwise."""
    if requested == "none":
        warnings.warn("--sandbox none: student code runs with your permissions, network and files. "
                      "Use it only for trusted notebooks.", stacklevel=2)
    names = AUTO_ORDER if requested == "auto" else (requested,)
    failures = []
    for name in names:
        sandbox = backend(name)
        try:
            sandbox.probe(settings.with_sandbox(name))
            return sandbox
        except SandboxUnavailable as error:
            failures.append(str(error))
    raise SandboxUnavailable("no sandbox works on this machine, so nothing was graded:\n  " + "\n  ".join(failures) +
                             "\n(For trusted notebooks only, `--sandbox none` grades without isolation.)")
