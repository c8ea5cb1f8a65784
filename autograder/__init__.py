"""The instructor's grading pipeline around nbgrader: release, take in, grade, feedback, report."""

import sys


def _without_the_iri_format_checker() -> None:
    """Keep jsonschema from loading ``rfc3987_syntax``, whose grammar takes 1.3 s of CPU to build on import.

    ``nbformat`` imports jsonschema, whose format checkers import every optional helper they find;
    Jupyter's ``jsonschema[format-nongpl]`` installs this one, for the ``iri`` formats, which no notebook
    or gradebook schema uses. Without it jsonschema simply does not check that format. Every notebook is
    graded by a fresh worker process that imports nbformat: its imports take 0.3 s instead of 1.6 s
    (``python -X importtime -c 'import autograder.worker'``). Nothing changes if jsonschema was imported first.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # None in sys.modules: `import` raises ImportError


_without_the_iri_format_checker()
