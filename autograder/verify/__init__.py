"""Verification outside the student's kernel: the grader's own checks decide the autograded points.

The notebook's test cells save artifacts (models, arrays, Histories, tables) into the sandbox's scratch
folder (:mod:`helpers.artifacts` writes them, :mod:`autograder.verify.artifacts` reads them as data);
student functions are called again on fresh inputs in a fresh sandboxed process that runs only their
definitions (:mod:`autograder.verify.probe`). In a process that runs no student code and stays warm
between notebooks (:mod:`autograder.verify.service`), :mod:`autograder.verify.judge` gives each
autograded cell ``test_<name>`` its verdict with the assignment's check ``check_<name>``
(``autograder/verify/<assignment>.py``), from the :class:`~autograder.verify.evidence.Evidence`:
both outputs and the grader's own data. :mod:`autograder.verify.verification` is the worker's side:
probe, ask the service, write the verdicts into the gradebook.
"""
