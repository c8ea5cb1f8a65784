"""The instructor's grading pipeline around nbgrader: release, take in, grade, feedback, report."""
