"""nnlab helpers: the small library every notebook and the autograder share.

One module per concept: ``budget``, ``data``, ``noise``, ``models``, ``training``,
``plots``, ``tables`` and ``checks``. Import what you need, e.g.
``from helpers import data, noise, models, training``.
"""

__all__ = ["budget", "data", "noise", "models", "training", "plots", "tables", "checks"]
__version__ = "0.1.0"
