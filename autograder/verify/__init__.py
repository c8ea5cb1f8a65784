"""Verification outside the student's kernel: the grader's own checks decide the autograded points.

The notebook's test cells save artifacts (models, arrays, records, tables) into the sandbox's scratch
folder; student functions are called again on fresh inputs in a fresh sandboxed process that runs
only their definitions (:mod:`autograder.verify.probe`); then the verifier (:mod:`autograder.verify.verifier`),
in a process that runs no student code and stays warm between notebooks (:mod:`autograder.verify.service`),
reads both as data and judges every autograded test.
"""
