"""The two ways a command ends in error: what the person running it can fix (exit code 2), and a failure of the
grader itself (exit code 3). A student's mistakes are never errors: they are part of a result (``results.Problem``).
``cli.main`` is the one place that turns them into a message and an exit code."""

from __future__ import annotations


class CannotRun(Exception):
    """The command cannot run as asked: the message says what to install, fix or choose."""

    exit_code = 2


class GraderFailed(RuntimeError):
    """The grader itself failed, never the student: a submission is "not graded" and a command exits 3."""

    exit_code = 3
