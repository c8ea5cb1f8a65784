"""The worker's side of verification: probe, ask the verifier service, and make its verdicts the grades."""

from __future__ import annotations

import functools
import threading
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


def judge(job: Job, artifacts: Path, probed: Path) -> list[Verdict]:
    """Ask the verifier (a process that runs no student code) to judge ``artifacts`` and the probe's outputs."""
    answer = _ask({"op": "judge", "assignment": job.assignment, "artifacts": str(artifacts), "probe": str(probed),
                   "budget": job.settings.budget})
    try:
        return [Verdict(**v) for v in answer["verdicts"]]
    except (KeyError, TypeError):
        raise VerificationFailed("the verifier's answer could not be read") from None


def _write_inputs(assignment: str, folder: Path) -> None:
    _ask({"op": "inputs", "assignment": assignment, "folder": str(folder)})


class Probes:
    """The probes of a submission's notebooks (:mod:`autograder.verify.probe`), run in a thread of the worker.

    They start with the job's kernel; the kernel's first student cell waits for them (:meth:`wait`), so
    they share the machine with the grader's set-up cells only, never with the student's code and its limits.
    """

    def __init__(self, job: Job, notebooks: dict[str, nbformat.NotebookNode],
                 releases: dict[str, nbformat.NotebookNode], hide: tuple[Path, ...]) -> None:
        self._job = job
        self._error: VerificationFailed | None = None
        self._thread = threading.Thread(target=self._run, args=(notebooks, releases, hide), daemon=True)
        self._thread.start()

    def _folder(self, notebook: str) -> Path:
        return Path(self._job.work) / "probe" / notebook

    def _run(self, notebooks: dict, releases: dict, hide: tuple[Path, ...]) -> None:
        calls = checks_for(self._job.assignment).CALLS
        put_inputs = functools.partial(_write_inputs, self._job.assignment)
        try:
            for name, submitted in notebooks.items():
                probe.run(self._folder(name), submitted, releases[name], calls, put_inputs, self._job.settings, hide)
        except VerificationFailed as error:
            self._error = error
        except probe.ProbeNotRun as error:
            self._error = VerificationFailed(str(error))
        except Exception as error:  # noqa: BLE001 - a bug of the grader's, reported where the probe's outputs are read
            self._error = VerificationFailed(f"the probe failed ({type(error).__name__}: {error})")

    def wait(self) -> None:
        """Return once every probe has finished (they end within ``probe.PROBE_SECONDS`` each)."""
        self._thread.join()

    def outputs_of(self, notebook: str) -> Path:
        """The folder of ``notebook``'s probe outputs, once written; ``VerificationFailed`` if a probe could not run."""
        self.wait()
        if self._error is not None:
            raise self._error
        return self._folder(notebook)


def verify(job: Job, notebook: str, submitted: nbformat.NotebookNode, release: nbformat.NotebookNode,
           probes: Probes, hide: tuple[Path, ...]) -> list[Verdict]:
    """Judge every test outside the kernel, on the notebook's artifacts and its probe's outputs, and judge a later
    step again with the reference version of an earlier function that failed (a mistake is charged once)."""
    work = Path(job.work)
    probed = probes.outputs_of(notebook)
    verdicts = judge(job, work / "scratch" / "artifacts", probed)
    chosen = rescue.plan(checks_for(job.assignment).RESCUE, verdicts)
    if chosen is None or not rescue.student_wrote_more(submitted, release, chosen):
        return verdicts
    try:
        artifacts = rescue.run(job, notebook, submitted, chosen, hide)
    except rescue.RescueNotRun as error:
        raise VerificationFailed(str(error)) from None
    return rescue.merge(verdicts, judge(job, artifacts, probed), chosen)


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
