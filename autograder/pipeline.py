"""Grade a whole class: settings -> jobs -> a runner -> results -> store and class gradebook.

Each job has its own nbgrader course folder and SQLite gradebook, so workers never share a
database; the class gradebook is written afterwards by this process alone.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from autograder import course, gradebook, lifetime, store
from autograder.job import Job
from autograder.results import Result
from autograder.runners import Runner
from autograder.sandboxes import select
from autograder.settings import GradingSettings
from autograder.submissions import discover
from autograder.term import Term, Undated
from autograder.term import deadlines as term_deadlines


@dataclass(frozen=True)
class ClassRun:
    """What ``grade_class`` did: every submission's result, and how many it could not grade."""

    results: list[Result]
    settings: GradingSettings
    newly_graded: int
    merge_seconds: float = 0.0  # writing the class gradebook, grades.csv and feedback copies

    @property
    def not_graded(self) -> list[Result]:
        return [r for r in self.results if not r.graded]


def grade_class(
    submissions_dir: Path,
    out_dir: Path,
    settings: GradingSettings,
    *,
    sandbox: str = "auto",
    runner: Runner | None = None,
    resume: bool = True,
    db_url: str | None = None,
    keep_scratch: bool = False,
    students: frozenset[str] | None = None,
    term: Term | None = None,
    undated: Undated | None = None,
    progress: Callable[[str], None] = print,
) -> ClassRun:
    """Grade every ``<student>/<assignment>`` folder; writes grades.csv, feedback/ and the gradebook to ``out_dir``.

    The sandbox is proven first (a trivial kernel must start through it) and grading stops with
    ``SandboxUnavailable`` when none works. ``db_url`` is the class gradebook (default SQLite
    ``out_dir/gradebook.db``). With ``students``, only their submissions are graded (again, whatever is
    stored); every other stored result, manual grade and comment is kept. ``term`` (the course file) gives the
    due dates and the late policy; ``undated`` what a submission without a known time counts as.
    """
    with lifetime.only_run_into(out_dir):
        for line in lifetime.clean_stale(out_dir):
            progress(f"left by an earlier run that was killed: {line}")
        return _grade_class(submissions_dir, out_dir, settings, sandbox=sandbox, runner=runner, resume=resume,
                            db_url=db_url, keep_scratch=keep_scratch, students=students, term=term or Term(),
                            undated=undated, progress=progress)


def _grade_class(submissions_dir: Path, out_dir: Path, settings: GradingSettings, *, sandbox: str,
                 runner: Runner | None, resume: bool, db_url: str | None, keep_scratch: bool,
                 students: frozenset[str] | None, term: Term, undated: Undated | None,
                 progress: Callable[[str], None]) -> ClassRun:
    from autograder.runners.local import LocalRunner
    from autograder.verify import coverage

    assignments = course.assignments()
    coverage.require(assignments)  # an autograded cell without a check would score 0 for everybody
    chosen = select(sandbox, settings)
    settings = settings.with_sandbox(chosen.name)
    runner = runner or LocalRunner()
    submissions, skipped = discover(submissions_dir, assignments)
    for line in skipped:
        progress(line)
    if students is not None:
        unknown = sorted(students - {s.student for s in submissions})
        if unknown:
            raise FileNotFoundError(f"--students names {', '.join(unknown)}, who ha{'s' if len(unknown) == 1 else 've'}"
                                    f" no submission in {submissions_dir} (a folder <student>/<assignment>/)")
    deadlines = term_deadlines(submissions, term, undated)
    named = {student for student, _ in [*term.extensions, *term.waivers]} - {s.student for s in submissions}
    if named:
        progress(f"note: {term.path} names {', '.join(sorted(named))} in an extension or waiver, without a "
                 "submission here (a typo? its `roster` setting checks every id)")
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    template = gradebook.prepare_template(work, assignments)
    maxima = {a: course.max_scores(a) for a in assignments}
    notebooks = {a: len(list((course.SOLUTIONS / a).glob("*.ipynb"))) for a in assignments}
    results = store.ResultStore(out_dir)
    hide = tuple(str(p.resolve()) for p in (course.REPO, out_dir, submissions_dir))
    jobs, kept = {}, 0
    for sub in submissions:
        key = store.content_key(sub, settings, deadlines[sub].fingerprint())
        if students is not None and sub.student not in students:
            continue  # not asked for: whatever is stored for it stays as it is
        if resume and students is None and results.finished(sub, key) is not None:
            kept += 1
            continue
        jobs[sub] = Job(student=sub.student, assignment=sub.assignment, folder=str(sub.folder.resolve()),
                        work=str(results.folder(sub).resolve()), template_db=str(template.resolve()),
                        settings=settings, max_score=maxima[sub.assignment][0],
                        auto_max_score=maxima[sub.assignment][1], notebooks=notebooks[sub.assignment], key=key,
                        hide=hide, keep_scratch=keep_scratch, deadline=deadlines[sub])
    if kept:
        progress(f"resuming: {kept} submission(s) already graded with the same files and settings")
    progress(f"grading {len(jobs)} submission(s): budget {settings.budget}, sandbox {settings.sandbox}")
    by_job = {job: sub for sub, job in jobs.items()}
    start = time.monotonic()
    with contextlib.closing(runner.run(jobs.values())) as finished:  # stopped at once when grading is
        for i, (job, result) in enumerate(finished, start=1):
            results.save(by_job[job], result)
            scores = result.scores
            points = f"{scores.score:g}/{scores.max_score:g}" if scores else "no score"
            progress(f"[{i}/{len(jobs)}] {job.student}/{job.assignment}: {points} ({result.status}) in "
                     f"{result.seconds:.0f} s, {time.monotonic() - start:.0f} s elapsed")
    current = {(s.student, s.assignment) for s in submissions}
    everything = [r for r in results.all() if (r.student_id, r.assignment) in current]
    db_url = db_url or gradebook.sqlite_url(out_dir)
    merge_start = time.monotonic()
    gradebook.merge(db_url, assignments, everything, work, template=template,
                    deadlines={(s.student, s.assignment): d for s, d in deadlines.items()})
    store.write_grades_csv(everything, gradebook.scores(db_url), out_dir / "grades.csv")
    store.copy_feedback(out_dir)
    return ClassRun(results=everything, settings=settings, newly_graded=len(jobs),
                    merge_seconds=round(time.monotonic() - merge_start, 2))
