"""Processes the grader starts never outlive it, a signal stops it cleanly, and what a killed run left is removed.

While :func:`stopping_on_signals` runs, SIGINT (Ctrl-C), SIGTERM and SIGHUP raise :class:`GradingStopped`
(a :class:`KeyboardInterrupt`) in Python's main thread, so one ``except`` clause stops grading whichever
came. A run that got SIGKILL cleans nothing: :func:`clean_stale` finds its mounts, control groups and
folders by the dead grader's pid and removes them.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Iterator

from autograder.owned import OWNED_ROOT, alive, owner
from autograder.errors import CannotRun

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class GradingStopped(KeyboardInterrupt):
    """A signal asked the grader to stop: Ctrl-C (SIGINT), SIGTERM, or a lost terminal (SIGHUP)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """What a shell reports for a process ended by this signal (130 for Ctrl-C)."""
        return 128 + self.signum


@contextlib.contextmanager
def stopping_on_signals() -> Iterator[None]:
    """While the block runs, SIGINT, SIGTERM and SIGHUP raise :class:`GradingStopped` in the main thread."""

    def stop(signum: int, _frame) -> None:
        for name in STOP_SIGNALS:  # one stop is enough: a second signal must not interrupt the clean-up
            signal.signal(name, signal.SIG_IGN)
        raise GradingStopped(signum)

    before = {name: signal.signal(name, stop) for name in STOP_SIGNALS}
    try:
        yield
    finally:
        for name, handler in before.items():
            signal.signal(name, handler)


def die_with_parent(parent: int | None) -> None:
    """Get SIGKILL when this process's parent ends (Linux); exit at once if ``parent`` is no longer the parent."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        return
    if parent is not None and os.getppid() != parent:
        sys.exit("the grading process ended before this process started")


def die_with_grader() -> None:
    """:func:`die_with_parent` for a process the grader started, which names itself in ``NNLAB_GRADER_PID``."""
    parent = os.environ.get("NNLAB_GRADER_PID", "")
    die_with_parent(int(parent) if parent.isdigit() else None)


class OutInUse(CannotRun, RuntimeError):
    """Another grading run is writing into the same output folder."""


@contextlib.contextmanager
def only_run_into(out: Path) -> Iterator[None]:
    """Hold ``out`` for this process while the block runs (released when it ends, however it ends); raise
    :class:`OutInUse` at once where another process holds it."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / ".grading.lock").open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            raise OutInUse(f"another grading run (pid {lock.read().strip() or '?'}) is writing into {out}: wait "
                           "for it to finish or stop it (Ctrl-C) first") from None
        lock.truncate(0)
        lock.write(str(os.getpid()))
        lock.flush()
        yield


# ---- what a killed grader left behind ----------------------------------------------------------------

def clean_stale(out: Path | None = None) -> list[str]:
    """Remove what graders that no longer run left: scratch disks under ``out`` (call it holding
    :func:`only_run_into`), their control groups, and their temporary folders with the scratch disks inside.
    Returns one line per thing removed."""
    from autograder.sandboxes import resources

    removed = ([f"unmounted {point}" for point in resources.unmount_under(out)]
               if out is not None and out.exists() else [])
    for group in resources.all_groups():
        pid = owner(group.folders[0].name)
        if pid is not None and not alive(pid):
            group.remove()
            removed.append(f"removed control group {group.folders[0].name}")
    for folder in OWNED_ROOT.glob("nnlab-*-*"):
        pid = owner(folder.name)
        if folder.is_dir() and pid is not None and not alive(pid):
            removed += [f"unmounted {point}" for point in resources.unmount_under(folder)]
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(f"removed {folder}")
    return removed
