"""The worker's side of verification: probe, ask the verifier service, and make its verdicts the grades."""

from __future__ import annotations

import functools
from pathlib import Path

import nbformat

from autograder import course
from autograder.job import Job
from autograder.results import Agreement
from autograder.verify import probe, rescue, service
from autograder.verify.judge import Verdict, checks_for
from autograder.errors import GraderFailed


class VerificationFailed(GraderFailed):
    """The grader's own checks could not run (never the student's fault)."""


def _ask(payload: dict) -> dict:
    """One request to the worker's verifier; its failures are the grader's (``VerificationFailed``)."""
    address = service.Address.from_env()
    if address is None:
        raise VerificationFailed(f"no verifier was started for this worker ({service.ADDRESS_VARIABLE} is not set)")
    try:
        return service.request(address, payload)
    except service.VerifierUnavailable as error:
        raise VerificationFailed(str(error)) from None


def judge(job: Job, artifacts: Path) -> list[Verdict]:
    """Ask the verifier (a process that runs no student code) to judge ``artifacts`` and the job's probe outputs."""
    answer = _ask({"op": "judge", "assignment": job.assignment, "artifacts": str(artifacts),
                   "probe": str(Path(job.work) / "probe"), "budget": job.settings.budget})
    try:
        return [Verdict(**v) for v in answer["verdicts"]]
    except (KeyError, TypeError):
        raise VerificationFailed("the verifier's answer could not be read") from None


def _write_inputs(assignment: str, folder: Path) -> None:
    _ask({"op": "inputs", "assignment": assignment, "folder": str(folder)})


def verify(job: Job, notebook: str, submitted: nbformat.NotebookNode, release: nbformat.NotebookNode,
           hide: tuple[Path, ...]) -> list[Verdict]:
    """Probe the student's functions in a fresh sandbox, judge every test outside the kernel, and judge a later
    step again with the reference version of an earlier function that failed (a mistake is charged once)."""
    work = Path(job.work)
    checks = checks_for(job.assignment)
    try:
        probe.run(work / "probe", submitted, release, checks.CALLS, functools.partial(_write_inputs, job.assignment),
                  job.settings, hide)
    except probe.ProbeNotRun as error:
        raise VerificationFailed(str(error)) from None
    verdicts = judge(job, work / "scratch" / "artifacts")
    chosen = rescue.plan(checks.RESCUE, verdicts)
    if chosen is None or not rescue.student_wrote_more(submitted, release, chosen):
        return verdicts
    try:
        artifacts = rescue.run(job, notebook, submitted, chosen, hide)
    except rescue.RescueNotRun as error:
        raise VerificationFailed(str(error)) from None
    return rescue.merge(verdicts, judge(job, artifacts), chosen)


def apply(verdicts: list[Verdict], db_url: str, job: Job, notebook: str, autograded: Path) -> list[Agreement]:
    """Make the verdicts the autograded scores; tell the student; return, per test, whether the notebook's own test
    agreed with the grader's check (the disagreements go to the instructor's review)."""
    by_test = {v.test: v for v in verdicts}
    agreements = []
    with course.gradebook(db_url) as gb:
        submission = gb.find_submission_notebook(notebook, job.assignment, job.student)
        for grade in submission.grades:
            if grade.cell_type != "code" or not grade.max_score:
                continue
            verdict = by_test.get(grade.name) or Verdict(grade.name, False, "the grader has no check for this test")
            agreements.append(Agreement(grade.name, notebook_passed=(grade.auto_score or 0.0) >= grade.max_score,
                                        grader_passed=verdict.passed, rescued=verdict.rescued, message=verdict.message))
            grade.auto_score = grade.max_score if verdict.passed else 0.0
        gb.db.commit()
    nb = nbformat.read(autograded, as_version=4)
    for cell in nb.cells:
        verdict = by_test.get(cell.metadata.get("nbgrader", {}).get("grade_id", ""))
        if cell.cell_type == "code" and verdict is not None:
            outcome = "passed" if verdict.passed else "failed"
            text = f"Grader's check (run outside your notebook): {outcome}. {verdict.message}".rstrip() + "\n"
            cell.setdefault("outputs", []).append(nbformat.v4.new_output("stream", name="stdout", text=text))
    nbformat.write(nb, autograded)
    return agreements
