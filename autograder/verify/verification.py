"""The worker's side of verification: probe, run the verifier process, and make its verdicts the grades."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat

from autograder import course
from autograder.jobs import Job
from autograder.verify import probe, rescue
from autograder.verify.verifier import Verdict, checks_for

VERIFIER_SECONDS = 900


class VerificationFailed(RuntimeError):
    """The grader's own checks could not run (never the student's fault)."""


def _verifier_env(job: Job) -> dict[str, str]:
    work = Path(job.work)
    return {"NNLAB_DATA_DIR": job.settings.data_dir, "TF_CPP_MIN_LOG_LEVEL": "3", "HOME": str(work),
            "KERAS_HOME": str(work / "verifier-keras"), "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8", "PYTHONPATH": str(course.REPO)}


def judge(job: Job, artifacts: Path, out: Path) -> list[Verdict]:
    """Run the verifier process (no student code) on ``artifacts`` and the job's probe outputs."""
    work = Path(job.work)
    out.unlink(missing_ok=True)
    log = out.with_suffix(".log")
    with open(log, "wb") as output:
        try:
            completed = subprocess.run([sys.executable, "-m", "autograder.verify.verifier", str(artifacts),
                                        str(work / "probe"), job.assignment, job.settings.budget, str(out)],
                                       env=_verifier_env(job), cwd=course.REPO, stdout=output,
                                       stderr=subprocess.STDOUT, timeout=VERIFIER_SECONDS, check=False)
        except subprocess.TimeoutExpired:
            raise VerificationFailed(f"the verifier took longer than {VERIFIER_SECONDS} s") from None
    if completed.returncode != 0 or not out.is_file():
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise VerificationFailed(f"the verifier stopped (exit {completed.returncode}: {tail[0][:200]})")
    return Verdict.read_all(out)


def verify(job: Job, notebook: str, submitted: nbformat.NotebookNode, release: nbformat.NotebookNode,
           hide: tuple[Path, ...]) -> list[Verdict]:
    """Probe the student's functions in a fresh sandbox, judge every test outside the kernel, and judge a later
    step again with the reference version of an earlier function that failed (a mistake is charged once)."""
    work = Path(job.work)
    checks = checks_for(job.assignment)
    try:
        probe.run(work / "probe", submitted, release, checks.CALLS, checks.inputs(), job.settings, hide)
    except probe.ProbeNotRun as error:
        raise VerificationFailed(str(error)) from None
    verdicts = judge(job, work / "scratch" / "artifacts", work / "verdicts.json")
    chosen = rescue.plan(checks.RESCUE, verdicts)
    if chosen is None or not rescue.student_wrote_more(submitted, release, chosen):
        return verdicts
    try:
        artifacts = rescue.run(job, notebook, submitted, chosen, hide)
    except rescue.RescueNotRun as error:
        raise VerificationFailed(str(error)) from None
    return rescue.merge(verdicts, judge(job, artifacts, work / "rescue-verdicts.json"), chosen)


def apply(verdicts: list[Verdict], db_url: str, job: Job, notebook: str, autograded: Path) -> list[str]:
    """Make the verdicts the autograded scores; note where the notebook's own tests disagreed; tell the student.

    Returns the disagreements, in words, for the instructor's review.
    """
    by_test = {v.test: v for v in verdicts}
    reviews = []
    with course.gradebook(db_url) as gb:
        submission = gb.find_submission_notebook(notebook, job.assignment, job.student)
        for grade in submission.grades:
            if grade.cell_type != "code" or not grade.max_score:
                continue
            verdict = by_test.get(grade.name) or Verdict(grade.name, False, "the grader has no check for this test")
            kernel_passed = (grade.auto_score or 0.0) >= grade.max_score
            if kernel_passed != verdict.passed and not verdict.rescued:
                reviews.append(f"{grade.name}: the notebook's own test {'passed' if kernel_passed else 'failed'} "
                               f"but the grader's check {'passed' if verdict.passed else 'failed'}"
                               + (f" ({verdict.message})" if verdict.message else ""))
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
    return reviews
