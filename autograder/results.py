"""Typed grading results: what happened to one submission, and the only place that turns it into scores.

Every problem has a kind. *Student* and *limit* problems are part of a grade; an *infrastructure*
problem means the grader could not grade, so the result carries no scores and is never stored as
finished.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import Enum


class ProblemKind(str, Enum):
    """Who a problem belongs to."""

    STUDENT = "student"  # a test failed, the code raised, the notebook is missing or invalid, a test cell was edited
    LIMIT = "limit"  # cell time, notebook time, memory, processes, disk, output
    INFRASTRUCTURE = "infrastructure"  # kernel never started, sandbox failed, grader crashed, worker lost, mirror


@dataclass(frozen=True)
class Problem:
    """One thing that went wrong, in words a student or an instructor can act on."""

    kind: ProblemKind
    message: str

    @classmethod
    def student(cls, message: str) -> "Problem":
        return cls(ProblemKind.STUDENT, message)

    @classmethod
    def limit(cls, message: str) -> "Problem":
        return cls(ProblemKind.LIMIT, message)

    @classmethod
    def infrastructure(cls, message: str) -> "Problem":
        return cls(ProblemKind.INFRASTRUCTURE, message)


@dataclass(frozen=True)
class GradeRow:
    """One graded cell as nbgrader's gradebook holds it."""

    notebook: str
    name: str
    cell_type: str
    max_score: float
    auto_score: float | None = None
    manual_score: float | None = None
    needs_manual_grade: bool = False

    @property
    def score(self) -> float:
        """The manual score where a person gave one, else the autograder's."""
        return self.manual_score if self.manual_score is not None else (self.auto_score or 0.0)


def describe_late(seconds: float) -> str:
    """``2 d 3 h``, ``5 h 12 min``, ``4 min``: how late, in words a student reads."""
    minutes = math.ceil(seconds / 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    parts = [f"{days} d"] * bool(days) + [f"{hours} h"] * bool(hours) + [f"{mins} min"] * bool(mins and not days)
    return " ".join(parts) or "0 min"


@dataclass(frozen=True)
class Scores:
    """Points of one submission: all cells, and the autograded (code) cells alone."""

    score: float  # before any late penalty
    max_score: float
    auto_score: float
    auto_max_score: float
    needs_manual_grade: bool
    late_penalty: float = 0.0  # points taken for lateness (see term.LatePolicy), from ``score``
    seconds_late: float = 0.0
    submitted: str = ""  # when it was handed in, UTC ("" when unknown)
    due: str = ""  # its due date with any extension, UTC ("" when none)

    @property
    def final(self) -> float:
        """The score after the late penalty: what goes to the LMS."""
        return round(self.score - self.late_penalty, 4)

    @property
    def late_by(self) -> str:
        """How late it was handed in, in words ("" when on time)."""
        return describe_late(self.seconds_late) if self.seconds_late > 0 else ""

    @classmethod
    def from_grades(cls, grades: list[GradeRow]) -> "Scores":
        auto = [g for g in grades if g.cell_type == "code"]
        auto_score = sum(g.auto_score or 0.0 for g in auto)
        manual = sum(g.score for g in grades if g.cell_type != "code")
        return cls(score=auto_score + manual, max_score=sum(g.max_score for g in grades), auto_score=auto_score,
                   auto_max_score=sum(g.max_score for g in auto),
                   needs_manual_grade=any(g.needs_manual_grade for g in grades))


@dataclass(frozen=True)
class TestOutcome:
    """One autograded test: points earned and the message its cell printed."""

    __test__ = False  # not a pytest test class

    notebook: str
    test: str
    points: float
    score: float
    message: str = ""
    notebook_passed: bool | None = None  # the notebook's own test cell, run in the student's kernel

    @property
    def passed(self) -> bool:
        return self.score >= self.points


@dataclass(frozen=True)
class Agreement:
    """The notebook's own test and the grader's check on one test, and whether they agreed."""

    test: str
    notebook_passed: bool
    grader_passed: bool
    rescued: bool = False  # judged again with the reference version of an earlier step: no comparison
    message: str = ""

    @property
    def disagrees(self) -> bool:
        return self.notebook_passed != self.grader_passed and not self.rescued

    def review(self) -> str:
        """The disagreement in words, for the instructor's review."""
        return (f"{self.test}: the notebook's own test {'passed' if self.notebook_passed else 'failed'} but the "
                f"grader's check {'passed' if self.grader_passed else 'failed'}"
                + (f" ({self.message})" if self.message else ""))


@dataclass
class Result:
    """What grading one submission produced."""

    student_id: str
    assignment: str
    max_score: float
    auto_max_score: float
    problems: list[Problem] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # the integrity scan's notes: advisory, they never change points
    reviews: list[str] = field(default_factory=list)  # where the notebook's tests and the grader's checks disagreed
    grades: list[GradeRow] = field(default_factory=list)
    tests: list[TestOutcome] = field(default_factory=list)
    seconds: float = 0.0
    attempts: int = 1
    budget: str = ""
    sandbox: str = ""
    resources: str = ""  # how the submission's memory, CPU and disk were limited (see sandboxes.resources)
    disk_quota: bool = False  # whether the scratch folders had a quota of their own
    key: str = ""
    log_tail: str = ""
    phases: dict[str, float] = field(default_factory=dict)  # where the seconds went (see RecordingExecute)

    @property
    def graded(self) -> bool:
        """False when the grader itself failed: such a result has no scores and is graded again next run."""
        return not any(p.kind is ProblemKind.INFRASTRUCTURE for p in self.problems)

    @property
    def scores(self) -> Scores | None:
        """Scores from the graded cells (zero when no notebook could run); ``None`` when not graded."""
        if not self.graded:
            return None
        if not self.grades:
            return Scores(0.0, self.max_score, 0.0, self.auto_max_score, False)
        return Scores.from_grades(self.grades)

    @property
    def needs_review(self) -> bool:
        """The notebook's own tests and the grader's checks disagreed: an instructor should look."""
        return bool(self.reviews)

    @property
    def status(self) -> str:
        """``graded``, ``not graded: <cause>``, or the student's and limit problems in words."""
        if not self.graded:
            causes = [p.message for p in self.problems if p.kind is ProblemKind.INFRASTRUCTURE]
            return "not graded: " + "; ".join(dict.fromkeys(causes))
        return "; ".join(p.message for p in self.problems) or "graded"

    def to_dict(self) -> dict:
        values = asdict(self)
        values["problems"] = [{"kind": p.kind.value, "message": p.message} for p in self.problems]
        return values

    @classmethod
    def from_dict(cls, values: dict) -> "Result":
        values = dict(values)
        values["problems"] = [Problem(ProblemKind(p["kind"]), p["message"]) for p in values.get("problems", [])]
        values["grades"] = [GradeRow(**g) for g in values.get("grades", [])]
        values["tests"] = [TestOutcome(**t) for t in values.get("tests", [])]
        return cls(**values)
