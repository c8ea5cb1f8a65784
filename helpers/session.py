"""Set up a notebook session: quiet TensorFlow, warnings on stdout.

nbgrader fails a test cell that writes anything to stderr, so a harmless library warning
printed while a test runs would cost a student the points. ``start()`` sends Python warnings
to stdout instead (they stay visible) and silences TensorFlow's C++ log lines.
Call it in a notebook's first cell, before importing keras.
"""

from __future__ import annotations

import os
import sys
import warnings


def _warning_to_stdout(message, category, filename, lineno, file=None, line=None) -> None:
    sys.stdout.write(warnings.formatwarning(message, category, filename, lineno, line))


def start() -> None:
    """Prepare the current kernel for the kit's notebooks (idempotent)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    warnings.showwarning = _warning_to_stdout
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:
        pass
