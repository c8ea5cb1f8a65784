"""The course file (``course.toml``): due dates, the late policy, extensions and waived penalties.

The instructor edits it in the repository; ``grade``, ``feedback``, ``export`` and ``report`` read it.
A wrong entry stops them with the file's line. The penalty follows Canvas' late policy: a share of the
assignment's points per interval late or part of one (after a grace period), at most a cap, and never
below the lowest grade (a score at or below it is not cut at all).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
import tomllib
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from autograder import course
from autograder.errors import CannotRun

if TYPE_CHECKING:
    from autograder.submissions import Submission

COURSE_FILE = course.REPO / "course.toml"
COURSE_FILE_VARIABLE = "NNLAB_COURSE_FILE"  # another course file (one per term, say) instead of course.toml
INTERVALS = {"hour": 3600, "day": 86400}
MISSING = ("zero", "blank")


class TermError(CannotRun, ValueError):
    """The course file is wrong; the message names the file, the line and what to write instead."""


class Undated(str, Enum):
    """What a submission without a known time counts as, when its assignment has a due date."""

    ON_TIME = "on-time"
    FILE_TIME = "file-time"  # the newest modification time of its notebooks


@dataclass(frozen=True)
class LatePolicy:
    """How late submissions lose points (Canvas' late policy, with Autolab's cap)."""

    deduction_percent: float = 0.0  # of the assignment's points, per interval late or part of one
    interval: str = "day"  # "day" or "hour"
    grace_minutes: float = 0.0  # this late still counts as on time
    max_deduction_percent: float = 100.0  # the cap on the whole deduction
    lowest_grade_percent: float = 0.0  # a late score is not cut below this share of the points
    missing: str = "zero"  # what a student without a submission gets in the LMS export

    def penalty(self, raw: float, max_score: float, seconds_late: float) -> float:
        """Points taken from ``raw`` for a submission ``seconds_late`` after its due date."""
        if seconds_late <= self.grace_minutes * 60 or raw <= 0:
            return 0.0
        intervals = math.ceil(seconds_late / INTERVALS[self.interval])
        deduction = min(intervals * self.deduction_percent, self.max_deduction_percent) / 100 * max_score
        floor = self.lowest_grade_percent / 100 * max_score
        return round(max(0.0, min(deduction, raw - floor)), 4) if raw > floor else 0.0


@dataclass(frozen=True)
class Deadline:
    """What decides one submission's penalty: the due date, the student's extension, when it came in, the policy."""

    due: dt.datetime | None  # the assignment's due date (UTC); None when it has none
    submitted: dt.datetime | None  # UTC; None when unknown
    policy: LatePolicy = LatePolicy()
    waived: bool = False
    extended_to: dt.datetime | None = None  # this student's own due date (UTC)

    @property
    def seconds_late(self) -> float:
        due = self.extended_to or self.due
        if due is None or self.submitted is None:
            return 0.0
        return max(0.0, (self.submitted - due).total_seconds())

    def penalty(self, raw: float, max_score: float) -> float:
        return 0.0 if self.waived else self.policy.penalty(raw, max_score, self.seconds_late)

    def fingerprint(self) -> str:
        """Part of a submission's cache key: a new extension or waiver grades that submission again (without a due
        date nothing of it matters)."""
        if self.due is None:
            return ""
        text = f"{self.due}|{self.extended_to}|{self.submitted}|{self.policy}|{self.waived}"
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def to_dict(self) -> dict:
        def iso(when: dt.datetime | None) -> str | None:
            return when.isoformat() if when else None

        return {"due": iso(self.due), "submitted": iso(self.submitted), "policy": asdict(self.policy),
                "waived": self.waived, "extended_to": iso(self.extended_to)}

    @classmethod
    def from_dict(cls, values: dict) -> "Deadline":
        def when(text: str | None) -> dt.datetime | None:
            return dt.datetime.fromisoformat(text) if text else None

        return cls(due=when(values["due"]), submitted=when(values["submitted"]), policy=LatePolicy(**values["policy"]),
                   waived=values["waived"], extended_to=when(values["extended_to"]))


@dataclass(frozen=True)
class Term:
    """The course file, read and checked."""

    due: dict[str, dt.datetime] = field(default_factory=dict)  # assignment -> due date (UTC)
    policy: LatePolicy = LatePolicy()
    extensions: dict[tuple[str, str], dt.datetime] = field(default_factory=dict)  # (student, assignment) -> UTC
    waivers: frozenset[tuple[str, str]] = frozenset()
    zone: dt.tzinfo = dt.timezone.utc  # of dates written without one, and of the times inside a zip
    path: Path | None = None

    def deadline(self, student: str, assignment: str, submitted: dt.datetime | None) -> Deadline:
        return Deadline(due=self.due.get(assignment), submitted=submitted, policy=self.policy,
                        waived=(student, assignment) in self.waivers,
                        extended_to=self.extensions.get((student, assignment)))


class _Lines:
    """Line numbers of the course file's keys and tables, for messages (tomllib gives none after parsing)."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def of_key(self, table: str, key: str) -> int:
        section = ""  # the keys before the first table
        for number, line in enumerate(self.lines, start=1):
            header = re.match(r"\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$", line)
            if header:
                section = header.group(2) if header.group(1) == "[" else f"[[{header.group(2)}]]"
            elif section == table and re.match(rf"\s*\"?{re.escape(key)}\"?\s*=", line):
                return number
        return 0

    def of_array_entry(self, table: str, index: int) -> int:
        headers = [n for n, line in enumerate(self.lines, start=1) if re.match(rf"\s*\[\[\s*{table}\s*\]\]", line)]
        return headers[index] if index < len(headers) else 0


def _utc(value, zone: dt.tzinfo, where: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=zone)
        return aware.astimezone(dt.timezone.utc)
    if isinstance(value, dt.date):
        raise TermError(f"{where}: {value} has no time of day; write it as {value}T23:59:00")
    raise TermError(f"{where}: {value!r} is not a date and time; write it as 2027-02-05T23:59:00 "
                    "(in the file's time_zone) or 2027-02-05T23:59:00+01:00")


def _number(table: dict, key: str, default: float, where: str, low: float = 0.0, high: float = math.inf) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise TermError(f"{where}: {key} = {value!r} must be a number from {low:g} to {high:g}")
    return float(value)


def _policy(table: dict, lines: _Lines, name: str) -> LatePolicy:
    def where(key: str) -> str:
        return f"{name} line {lines.of_key('late_policy', key)}"

    unknown = sorted(set(table) - set(LatePolicy.__dataclass_fields__))
    if unknown:
        raise TermError(f"{where(unknown[0])}: [late_policy] has no setting {unknown[0]!r} "
                        f"(it has {', '.join(LatePolicy.__dataclass_fields__)})")
    interval = table.get("interval", "day")
    if interval not in INTERVALS:
        raise TermError(f"{where('interval')}: interval = {interval!r} must be \"day\" or \"hour\"")
    missing = table.get("missing", "zero")
    if missing not in MISSING:
        raise TermError(f"{where('missing')}: missing = {missing!r} must be \"zero\" or \"blank\"")
    return LatePolicy(
        deduction_percent=_number(table, "deduction_percent", 0, where("deduction_percent"), high=100),
        interval=interval, grace_minutes=_number(table, "grace_minutes", 0, where("grace_minutes")),
        max_deduction_percent=_number(table, "max_deduction_percent", 100, where("max_deduction_percent"), high=100),
        lowest_grade_percent=_number(table, "lowest_grade_percent", 0, where("lowest_grade_percent"), high=100),
        missing=missing)


def _student_entries(entries: list, kind: str, lines: _Lines, name: str, assignments: list[str],
                     students: set[str] | None) -> list[tuple[str, str, dict, str]]:
    """(student, assignment, entry, where) of each ``[[kind]]`` entry, checked."""
    checked = []
    for index, entry in enumerate(entries):
        where = f"{name} line {lines.of_array_entry(kind, index)} ([[{kind}]] number {index + 1})"
        student, assignment = entry.get("student"), entry.get("assignment")
        if not isinstance(student, str) or not isinstance(assignment, str):
            raise TermError(f"{where}: give student = \"ID\" and assignment = \"ID\"")
        if assignment not in assignments:
            raise TermError(f"{where}: unknown assignment {assignment!r} (the course has {', '.join(assignments)})")
        if students is not None and student not in students:
            raise TermError(f"{where}: unknown student {student!r}: not in the roster")
        checked.append((student, assignment, entry, where))
    return checked


def course_file() -> Path:
    """``NNLAB_COURSE_FILE`` if set, else ``course.toml`` in the kit."""
    return Path(os.environ.get(COURSE_FILE_VARIABLE) or COURSE_FILE)


def read_term(path: Path | None = None, *, students: set[str] | None = None,
              assignments: list[str] | None = None) -> Term:
    """The course file at ``path`` (default :func:`course_file`; none there: no due dates); ``students`` (a
    roster) checks the ids it names."""
    named = path is None and bool(os.environ.get(COURSE_FILE_VARIABLE))
    path = path or course_file()
    if not path.is_file():
        if named:
            raise TermError(f"{COURSE_FILE_VARIABLE}={path} is not a file: unset it to use course.toml")
        return Term()
    name = path.name
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TermError(f"{name}: {error} (TOML: key = value lines under [tables])") from None
    lines = _Lines(text)
    assignments = assignments if assignments is not None else course.assignments()
    unknown = sorted(set(data) - {"time_zone", "due", "late_policy", "extension", "waiver", "roster"})
    if unknown:
        raise TermError(f"{name}: unknown setting or table {unknown[0]!r} (the file has time_zone, roster, [due], "
                        "[late_policy], [[extension]] and [[waiver]])")
    try:
        zone = ZoneInfo(data.get("time_zone", "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        raise TermError(f"{name} line {lines.of_key('', 'time_zone')}: unknown time_zone "
                        f"{data.get('time_zone')!r} (an IANA name such as \"Europe/Berlin\" or \"UTC\")") from None
    if students is None and "roster" in data:
        from autograder.lms import RosterError, read_roster

        try:
            students = {e.student_id for e in read_roster(path.parent / str(data["roster"]))}
        except RosterError as error:
            raise TermError(f"{name} line {lines.of_key('', 'roster')}: {error}") from None
    due = {}
    for assignment, value in data.get("due", {}).items():
        where = f"{name} line {lines.of_key('due', assignment)}"
        if assignment not in assignments:
            raise TermError(f"{where}: unknown assignment {assignment!r} (the course has {', '.join(assignments)})")
        due[assignment] = _utc(value, zone, where)
    extensions = {}
    for student, assignment, entry, where in _student_entries(data.get("extension", []), "extension", lines, name,
                                                              assignments, students):
        if ("due" in entry) == ("days" in entry):
            raise TermError(f"{where}: give either due = <date and time> or days = <number>")
        if assignment not in due:
            raise TermError(f"{where}: {assignment} has no due date in [due] to extend")
        if "due" in entry:
            extensions[(student, assignment)] = _utc(entry["due"], zone, where)
        else:
            days = _number(entry, "days", 0, where, low=0, high=365)
            extensions[(student, assignment)] = due[assignment] + dt.timedelta(days=days)
    waivers = frozenset((s, a) for s, a, _, _ in _student_entries(data.get("waiver", []), "waiver", lines, name,
                                                                  assignments, students))
    return Term(due=due, policy=_policy(data.get("late_policy", {}), lines, name), extensions=extensions,
                waivers=waivers, zone=zone, path=path)


def deadlines(submissions: list[Submission], term: Term, undated: Undated | None) -> dict[Submission, Deadline]:
    """Each submission's deadline. A submission of an assignment with a due date and no known time stops this
    with ``TermError``, unless ``undated`` says what it counts as: it is never silently on time."""
    unknown = [s for s in submissions if s.submitted is None and s.assignment in term.due]
    if unknown and undated is None:
        names = ", ".join(f"{s.student}/{s.assignment}" for s in unknown[:10]) + (" ..." if len(unknown) > 10 else "")
        raise TermError(f"{len(unknown)} submission(s) of an assignment with a due date have no known time (no "
                        f"timestamp.txt): {names}. Take them in with `collect`, which records when each was handed "
                        "in, or choose: --undated on-time, or --undated file-time (their notebooks' modification "
                        "time)")
    found = {}
    for sub in submissions:
        submitted = sub.submitted
        if submitted is None and undated is Undated.FILE_TIME:
            times = [p.stat().st_mtime for p in sub.folder.glob("*.ipynb")]
            submitted = dt.datetime.fromtimestamp(max(times), dt.timezone.utc) if times else None
        found[sub] = term.deadline(sub.student, sub.assignment, submitted)
    return found
