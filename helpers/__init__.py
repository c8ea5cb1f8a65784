"""nnlab helpers: the small library the notebooks and the autograder share.

One module per concept: ``budget``, ``data``, ``training``, ``plots``, ``tables``, ``checks``
(the notebooks' own tests), ``model_info`` (parameter counts) and ``artifacts`` (hands results to
the grader). Nothing here implements a graded step: the reference answers live in ``reference/``,
which is never handed to students.
"""

__all__ = ["budget", "data", "training", "plots", "tables", "checks", "model_info", "artifacts"]
__version__ = "0.1.0"
