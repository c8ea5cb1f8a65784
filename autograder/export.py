"""`export`: grades from the class gradebook (including manual grades entered later in formgrader)."""

from __future__ import annotations

import csv
from pathlib import Path

from autograder import course

COLUMNS = ["student_id", "assignment", "score", "max_score", "auto_score", "auto_max_score", "needs_manual_grade"]


def export(db_url: str, out_csv: Path) -> int:
    """Write one CSV row per student and assignment of the gradebook at ``db_url``; returns the number of rows."""
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).exists():
        raise FileNotFoundError(f"{db_url[len('sqlite:///'):]} does not exist: run `grade` first")
    rows = []
    with course.gradebook(db_url) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                grades = [g.to_dict() for nb in submission.notebooks for g in nb.grades]
                auto = [g for g in grades if g["cell_type"] == "code"]
                rows.append({"student_id": submission.student.id, "assignment": assignment.name,
                             "score": round(submission.score, 2), "max_score": submission.max_score,
                             "auto_score": round(sum(g["auto_score"] or 0 for g in auto), 2),
                             "auto_max_score": sum(g["max_score"] for g in auto),
                             "needs_manual_grade": submission.needs_manual_grade})
    with out_csv.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, COLUMNS)
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: (r["student_id"], r["assignment"])))
    return len(rows)
