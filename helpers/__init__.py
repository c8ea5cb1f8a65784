"""nnlab helpers: the small library the notebooks and the autograder share.

One module per concept: ``budget``, ``data``, ``training`` (with ``epoch_loop``, ``optimizers`` and
``progress``, its parts), ``history`` (what ``model.fit`` returned), ``plots``, ``tables``, ``checks`` (the
notebooks' own tests), ``model_info`` (parameter counts), ``session`` (a notebook's first line),
``grader_fit`` (``model.fit`` under the grader) and ``artifacts`` (hands results to the grader). Nothing
here implements a graded step: the reference answers live in ``reference/``, which is never handed to
students.
"""

__all__ = ["artifacts", "budget", "checks", "data", "epoch_loop", "grader_fit", "history", "model_info", "optimizers",
           "plots", "progress", "session", "tables", "training"]
__version__ = "0.1.0"
