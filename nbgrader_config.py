"""nbgrader settings for this course (used by `nbgrader ...` and JupyterLab's nbgrader extensions)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from autograder.course import nbgrader_config  # noqa: E402

c = get_config()  # noqa: F821
c.merge(nbgrader_config())
