"""The grade table printed after grading."""

from __future__ import annotations

from prettytable import PrettyTable


def grade_table(results: list[dict]) -> PrettyTable:
    """student, assignment, score, autograded score and status of every graded submission."""
    table = PrettyTable(["student", "assignment", "score", "autograded", "status"])
    for r in results:
        table.add_row([r["student_id"], r["assignment"], f"{r['score']:g}/{r['max_score']:g}",
                       f"{r['auto_score']:g}/{r['auto_max_score']:g}", r["status"][:70]])
    table.align = "l"
    return table
