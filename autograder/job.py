"""One grading job as a record: what grading one student's submission of one assignment needs (the supervisor
writes it, the worker process and the verifier read it)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from autograder.results import Problem, Result
from autograder.settings import GradingSettings
from autograder.term import Deadline


@dataclass(frozen=True)
class Job:
    """Grade ``folder`` (one student's submission of one assignment) inside ``work``."""

    student: str
    assignment: str
    folder: str
    work: str
    template_db: str
    settings: GradingSettings
    max_score: float
    auto_max_score: float
    notebooks: int
    key: str
    hide: tuple[str, ...] = ()
    keep_scratch: bool = False
    deadline: Deadline = Deadline(due=None, submitted=None)

    @property
    def wall_seconds(self) -> int:
        """How long the whole job may take before its process is killed."""
        return self.settings.notebook_timeout * max(1, self.notebooks) + 60

    @property
    def progress_file(self) -> Path:
        return Path(self.work) / "progress.json"

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "settings": self.settings.to_dict(), "deadline": self.deadline.to_dict()},
                          indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Job":
        values = json.loads(text)
        values["settings"] = GradingSettings.from_dict(values["settings"])
        values["hide"] = tuple(values.get("hide", ()))
        values["deadline"] = Deadline.from_dict(values["deadline"])
        return cls(**values)

    def empty_result(self, *problems: Problem) -> Result:
        return Result(student_id=self.student, assignment=self.assignment, max_score=self.max_score,
                      auto_max_score=self.auto_max_score, problems=list(problems), budget=self.settings.budget,
                      sandbox=self.settings.sandbox, key=self.key)
