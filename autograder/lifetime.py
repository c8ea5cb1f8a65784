"""Processes the grader starts never outlive it."""

from __future__ import annotations

import os
import signal
import sys


def die_with_grader() -> None:
    """Get SIGKILL when the grading process that started this one ends (Linux), and never outlive it.

    The grader names itself in ``NNLAB_GRADER_PID``; a process whose parent is already gone exits at once.
    """
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        return
    parent = os.environ.get("NNLAB_GRADER_PID")
    if parent and os.getppid() != int(parent):
        sys.exit("the grading process ended before this process started")
