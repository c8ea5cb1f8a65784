"""What a grading run leaves on disk: one result per submission (keyed by content), grades.csv, feedback.

A submission is skipped on a later run only when its result was graded under the same key: the
same submitted files, the same master notebooks and the same settings. Results the grader could
not produce (``not graded``) are kept for the report but always graded again.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from autograder import course
from autograder.results import Result, Scores
from autograder.settings import GradingSettings
from autograder.submissions import Submission

CSV_COLUMNS = ["student_id", "assignment", "score", "max_score", "auto_score", "auto_max_score", "raw_score",
               "late_penalty", "late_by", "submitted_at", "status", "review", "scan_notes", "budget", "sandbox",
               "attempts", "seconds"]


def content_key(submission: Submission, settings: GradingSettings, deadline: str = "") -> str:
    """A hash of the submitted files, the assignment's master notebooks, the settings and the submission's
    ``deadline`` (its fingerprint: a new extension or waiver grades it again)."""
    digest = hashlib.sha256()
    for path in sorted(submission.folder.rglob("*")):
        name = str(path.relative_to(submission.folder)).encode()
        if path.is_symlink():
            digest.update(b"link\0" + name + b"\0" + str(path.readlink()).encode() + b"\0")
        elif path.is_file():
            digest.update(b"file\0" + name + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    for master in course.master_notebooks(submission.assignment):
        digest.update(b"master\0" + master.name.encode() + hashlib.sha256(master.read_bytes()).digest())
    digest.update(settings.fingerprint().encode() + b"\0" + deadline.encode())
    return digest.hexdigest()[:24]


@dataclass(frozen=True)
class JobFolder:
    """One submission's folder, ``OUT/work/jobs/<student>__<assignment>/``: its ``result.json`` and nbgrader's
    course folder, ``course/<step>/<student>/<assignment>/`` for the steps ``submitted``, ``autograded``,
    ``feedback``."""

    path: Path

    @property
    def course(self) -> Path:
        return self.path / "course"

    def step(self, step: str, student: str, assignment: str) -> Path:
        """The folder of one step of grading, for example ``step("autograded", "ada", "a1_noise_mlp")``."""
        return self.course / step / student / assignment

    def steps(self, step: str) -> list[Path]:
        """The ``<student>/<assignment>`` folders that grading wrote for ``step`` (one, or none if it did not get there)."""
        return sorted(self.course.glob(f"{step}/*/*"))

    def feedback_pages(self) -> list[Path]:
        return [page for folder in self.steps("feedback") for page in sorted(folder.glob("*.html"))]


class ResultStore:
    """Results under ``OUT/work/jobs/<student>__<assignment>/result.json``: the one owner of that layout."""

    def __init__(self, out_dir: Path):
        self.jobs = out_dir / "work" / "jobs"

    def job_folder(self, student: str, assignment: str) -> JobFolder:
        return JobFolder(self.jobs / f"{student}__{assignment}")

    def folder(self, submission: Submission) -> Path:
        return self.job_folder(submission.student, submission.assignment).path

    def job_folders(self) -> list[JobFolder]:
        """Every job folder a run made, in order."""
        return [JobFolder(path) for path in sorted(self.jobs.glob("*")) if path.is_dir()]

    def finished(self, submission: Submission, key: str) -> Result | None:
        """The stored result if it was graded from exactly this content and these settings."""
        stored = self._read(self.folder(submission) / "result.json")
        return stored if stored is not None and stored.graded and stored.key == key else None

    def save(self, submission: Submission, result: Result) -> None:
        folder = self.folder(submission)
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / "result.json.partial"  # a grader stopped mid-write leaves no half a result
        partial.write_text(json.dumps(result.to_dict(), indent=1))
        partial.replace(folder / "result.json")

    def all(self) -> list[Result]:
        """Every stored result, graded or not, ordered by student and assignment."""
        found = [self._read(p) for p in sorted(self.jobs.glob("*/result.json"))]
        return sorted((r for r in found if r is not None), key=lambda r: (r.student_id, r.assignment))

    @staticmethod
    def _read(path: Path) -> Result | None:
        try:
            return Result.from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, TypeError, KeyError):
            return None


def write_grades_csv(results: list[Result], scores: dict[tuple[str, str], Scores], path: Path) -> None:
    """One row per student and assignment; scores (manual grades included) are empty when not graded."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS)
        writer.writeheader()
        for result in results:
            row = {"student_id": result.student_id, "assignment": result.assignment, "status": result.status,
                   "budget": result.budget, "sandbox": result.sandbox, "attempts": result.attempts,
                   "seconds": round(result.seconds, 1), "max_score": result.max_score,
                   "auto_max_score": result.auto_max_score,
                   "review": "; ".join(result.reviews), "scan_notes": "; ".join(result.flags)}
            score = scores.get((result.student_id, result.assignment)) if result.graded else None
            if score is not None:
                row.update(score_columns(score))
            writer.writerow(row)


def score_columns(score: Scores) -> dict[str, object]:
    """The score columns of grades.csv and export.csv: ``score`` is after the late penalty, ``raw_score`` before."""
    return {"score": round(score.final, 2), "auto_score": round(score.auto_score, 2),
            "raw_score": round(score.score, 2), "late_penalty": round(score.late_penalty, 2),
            "late_by": score.late_by,
            "submitted_at": score.submitted}


def copy_feedback(out_dir: Path, pages: list[Path] | None = None) -> Path:
    """Collect feedback HTML (by default each job's) into ``OUT/feedback/<student>/<assignment>/``, and one zip
    per student into ``OUT/feedback-zips/<student>.zip`` (to hand back through an LMS); returns the folder."""
    target = out_dir / "feedback"
    if pages is None:
        pages = [page for job in ResultStore(out_dir).job_folders() for page in job.feedback_pages()]
    for html in pages:
        student, assignment = html.parts[-3], html.parts[-2]
        destination = target / student / assignment / html.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(html, destination)
    zips = out_dir / "feedback-zips"
    zips.mkdir(exist_ok=True)
    for student in sorted(p for p in target.iterdir() if p.is_dir()) if target.is_dir() else []:
        with zipfile.ZipFile(zips / f"{student.name}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for page in sorted(student.glob("*/*.html")):
                archive.write(page, page.relative_to(student).as_posix())
    return target
