"""Grades in the files an LMS imports: Canvas's and Moodle's gradebook CSV, or a plain wide CSV.

One row per student of the roster (columns ``student_id,name,email,lms_id``), one column per
assignment. Roster students without a submission get 0 or a blank, as the instructor chooses;
graded students missing from the roster are returned so the caller reports them (never dropped).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from autograder.results import Scores
from autograder.errors import CannotRun

ROSTER_COLUMNS = ("student_id", "name", "email", "lms_id")


class LmsFormat(str, Enum):
    """The file layouts ``export --format`` writes."""

    CSV = "csv"
    CANVAS = "canvas"  # Canvas gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, assignments
    MOODLE = "moodle"  # Moodle "Import grades: CSV file": identity columns to map, then one column per grade item


class Missing(str, Enum):
    """What a roster student without a submission gets."""

    ZERO = "zero"
    BLANK = "blank"


class RosterError(CannotRun, ValueError):
    """The roster file is unusable; the message says what is wrong."""


@dataclass(frozen=True)
class RosterEntry:
    """One row of the roster."""

    student_id: str
    name: str
    email: str
    lms_id: str


def read_roster(path: Path) -> list[RosterEntry]:
    """The roster's students; a clear error for a missing file, missing columns or repeated ids."""
    if not path.is_file():
        raise RosterError(f"roster {path} not found: a CSV with the columns {','.join(ROSTER_COLUMNS)}")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ROSTER_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise RosterError(f"roster {path} lacks the column(s) {', '.join(missing)} "
                              f"(expected {','.join(ROSTER_COLUMNS)})")
        entries = [RosterEntry(*(row[c].strip() for c in ROSTER_COLUMNS)) for row in reader if row["student_id"]]
    repeated = sorted({e.student_id for e in entries if [x.student_id for x in entries].count(e.student_id) > 1})
    if repeated:
        raise RosterError(f"roster {path} lists these student ids more than once: {', '.join(repeated)}")
    return entries


def _split_name(name: str) -> tuple[str, str]:
    first, _, last = name.rpartition(" ")
    return (first, last) if first else (name, "")


def lms_rows(scores: dict[tuple[str, str], Scores], assignments: list[str], roster: list[RosterEntry],
             fmt: LmsFormat, missing: Missing) -> tuple[list[list[str]], list[str]]:
    """The rows of the file (header first) and the graded student ids that are not in the roster."""
    def cell(student: str, assignment: str) -> str:
        found = scores.get((student, assignment))
        if found is None:
            return "0" if missing is Missing.ZERO else ""
        return f"{found.final:g}"  # after the late penalty

    maxima = {a: next((s.max_score for (_, x), s in scores.items() if x == a), None) for a in assignments}
    if fmt is LmsFormat.CANVAS:
        rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *assignments],
                ["Points Possible", "", "", "", "", *(f"{maxima[a]:g}" if maxima[a] else "" for a in assignments)]]
        rows += [[e.name, e.lms_id, e.student_id, e.email, "", *(cell(e.student_id, a) for a in assignments)]
                 for e in roster]
    elif fmt is LmsFormat.MOODLE:
        rows = [["First name", "Last name", "ID number", "Email address", *assignments]]
        rows += [[*_split_name(e.name), e.student_id, e.email, *(cell(e.student_id, a) for a in assignments)]
                 for e in roster]
    known = {e.student_id for e in roster}
    unknown = sorted({student for student, _ in scores} - known)
    if fmt is LmsFormat.CSV:  # a plain table keeps them, with empty identity columns
        rows = [["student_id", "name", "email", "lms_id", *assignments]]
        rows += [[e.student_id, e.name, e.email, e.lms_id, *(cell(e.student_id, a) for a in assignments)]
                 for e in roster]
        rows += [[student, "", "", "", *(cell(student, a) for a in assignments)] for student in unknown]
    return rows, unknown


def write_rows(rows: list[list[str]], path: Path) -> None:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
