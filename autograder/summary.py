"""The grade table printed after grading."""

from __future__ import annotations

from prettytable import PrettyTable

from autograder.results import Result


def grade_table(results: list[Result]) -> PrettyTable:
    """student, assignment, score, autograded score and status of every submission (no score when not graded)."""
    table = PrettyTable(["student", "assignment", "score", "autograded", "status"])
    for r in results:
        s = r.scores
        table.add_row([r.student_id, r.assignment, f"{s.score:g}/{s.max_score:g}" if s else "-",
                       f"{s.auto_score:g}/{s.auto_max_score:g}" if s else "-", r.status[:70]])
    table.align = "l"
    return table
