"""`export`: grades from the class gradebook (including manual grades entered later in formgrader)."""

from __future__ import annotations

import csv
from pathlib import Path

from autograder import gradebook
from autograder.store import score_columns

COLUMNS = ["student_id", "assignment", "score", "max_score", "auto_score", "auto_max_score", "raw_score",
           "late_penalty", "late_by", "submitted_at", "needs_manual_grade"]


def export(db_url: str, out_csv: Path) -> int:
    """Write one CSV row per student and assignment of the gradebook at ``db_url``; returns the number of rows.
    ``score`` is after the late penalty."""
    rows = [{"student_id": student, "assignment": assignment, "max_score": s.max_score,
             "auto_max_score": s.auto_max_score, "needs_manual_grade": s.needs_manual_grade, **score_columns(s)}
            for (student, assignment), s in sorted(gradebook.scores(gradebook.require(db_url)).items())]
    with out_csv.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
