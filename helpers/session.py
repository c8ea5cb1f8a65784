"""Set up a notebook session: quiet TensorFlow, warnings on stdout.

nbgrader fails a test cell that writes anything to stderr, so a harmless library warning
printed while a test runs would cost a student the points. ``start()`` sends Python warnings
to stdout instead (they stay visible), silences TensorFlow's C++ log lines, and adds a hint to
``NameError`` tracebacks (the usual sign of cells run out of order). Under the grader it also
makes ``model.fit`` keep to the grader's budget (:mod:`helpers.grader_fit`).
Call it in a notebook's first cell, before importing keras.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings


def _warning_to_stdout(message, category, filename, lineno, file=None, line=None) -> None:
    sys.stdout.write(warnings.formatwarning(message, category, filename, lineno, line))


def _name_error_hint(shell, etype, value, tb, tb_offset=None):
    """Show the usual traceback, plus what to do: names come from earlier cells."""
    structured = shell.InteractiveTB.structured_traceback(etype, value, tb, tb_offset=tb_offset)
    name = getattr(value, "name", None) or "this name"
    structured = structured + [f"Hint: {name!r} is defined in an earlier cell that has not run in this session. "
                               "Run the cells above this one in order (Run > Run All Above Selected Cell)."]
    shell._showtraceback(etype, value, structured)  # a custom handler must publish the error itself
    return structured


@contextlib.contextmanager
def _native_stderr_silenced():
    """Send what native code writes to file descriptor 2 to /dev/null meanwhile.

    TensorFlow's C++ start-up lines ("All log messages before absl::InitializeLog() ...") are written
    there before any log level applies; Python exceptions are unaffected (they do not use fd 2 in a kernel).
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def start() -> None:
    """Prepare the current kernel for the kit's notebooks (idempotent)."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # C++ log lines on stderr would fail nbgrader test cells
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    warnings.showwarning = _warning_to_stdout
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with _native_stderr_silenced():
        import tensorflow as tf

        tf.config.list_physical_devices()  # device set-up messages appear here, not in a later test cell
    try:
        shell = get_ipython()  # noqa: F821 - defined in IPython kernels only
    except NameError:
        shell = None
    if shell is not None:
        shell.set_custom_exc((NameError,), _name_error_hint)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:
        pass
    from helpers.budget import GRADER_BUDGET_ENV, get_budget

    if os.environ.get(GRADER_BUDGET_ENV):
        from helpers import grader_fit

        grader_fit.install(get_budget())
