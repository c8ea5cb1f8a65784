"""Grade one student's submission of one assignment, in a process of its own (forked by :mod:`autograder.launcher`).

The job folder gets a private nbgrader course (a copy of the template gradebook, the submitted
notebooks) and a scratch folder that is the sandboxed kernel's only writable place. The result
is written to ``attempt.json`` beside the job file.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import re
import shutil
import time
from pathlib import Path

import nbformat

from autograder import course, gradebook, integrity, sandboxes
from autograder.sandboxes import resources
from autograder.job import Job
from autograder.results import GradeRow, Problem, Result, TestOutcome
from autograder.submissions import TIMESTAMP_FILE, read_timestamp
from autograder.store import JobFolder
from autograder.student_cells import students_cells
from autograder.preprocessors.execute import VERIFICATION_PHASE
from autograder.verify import verification
from autograder.verify.judge import Verdict

LIMIT_ERRORS = {"CellTimeoutError": "cell time limit", "MemoryError": "memory limit hit",
                "BlockingIOError": "process limit hit"}
FILE_LIMITS = {"[Errno 27]": "file size limit hit", "[Errno 28]": "scratch disk quota hit"}  # EFBIG, ENOSPC
EXCHANGE_FILES = (TIMESTAMP_FILE, "submission_secret.txt")


def _read_notebooks(submission: Path, expected: list[str]) -> tuple[dict[str, nbformat.NotebookNode], list[Problem]]:
    notebooks, problems = {}, []
    for name in expected:
        path = submission / f"{name}.ipynb"
        if path.is_symlink() or (path.exists() and not path.is_file()):
            problems.append(Problem.student(f"refused {name}.ipynb: not a regular file (hand in the notebook itself)"))
            continue
        if path.is_file() and path.stat().st_nlink > 1:
            problems.append(Problem.student(f"refused {name}.ipynb: a hard link to another file (hand in a copy)"))
            continue
        if not path.is_file():
            problems.append(Problem.student(f"missing notebook {name}.ipynb"))
            continue
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as error:  # any unreadable file is the student's problem, not a crash
            problems.append(Problem.student(
                f"invalid notebook {name}.ipynb ({type(error).__name__}: not a readable notebook)"))
            continue
        notebooks[name] = nb
    return notebooks, problems


def _duplicate(grade_id: str) -> Problem:
    return Problem.student(f"cell {grade_id} appears more than once: the copy was graded as an ordinary cell")


def _metadata_from_release(nb, release) -> list[Problem]:
    """Give every submitted cell the release's nbgrader metadata for its id; other cells are ordinary student
    cells, whatever metadata they carry (a cell duplicated in JupyterLab copies it; a student can edit it).

    Notebooks whose cells have none of the release's ids (saved without cell ids) keep their metadata, with
    only the first cell of each grade id keeping it, as nbgrader would match them.
    """
    release_meta = {c.get("id"): c.metadata["nbgrader"] for c in release.cells if "nbgrader" in c.metadata}
    grade_ids = {m.get("grade_id") for m in release_meta.values()}
    if not any(c.get("id") in release_meta for c in nb.cells):
        return _without_duplicate_ids(nb)
    problems = []
    for cell in nb.cells:
        meta = release_meta.get(cell.get("id"))
        if meta is not None:
            cell.metadata["nbgrader"] = copy.deepcopy(meta)
            continue
        carried = cell.metadata.pop("nbgrader", None)
        grade_id = carried.get("grade_id") if isinstance(carried, dict) else None
        if grade_id in grade_ids:
            problems.append(_duplicate(grade_id))
    return problems


def _without_duplicate_ids(nb) -> list[Problem]:
    """Keep nbgrader's metadata only on the first cell of each grade id and drop metadata that names none."""
    seen, problems = set(), []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            continue
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if grade_id is None or grade_id in seen:
            del cell.metadata["nbgrader"]
            if grade_id is not None:
                problems.append(_duplicate(grade_id))
            continue
        seen.add(grade_id)
    return problems


def _test_cell_changes(nb, release) -> list[Problem]:
    """Test cells the student deleted or edited (nbgrader restores them from the master when grading)."""
    visible = course.without_hidden_tests
    tests = {c.metadata["nbgrader"]["grade_id"]: visible(c.source) for c in release.cells
             if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    submitted = {c.metadata.get("nbgrader", {}).get("grade_id"): visible(c.source) for c in nb.cells}
    changes = []
    for grade_id, source in tests.items():
        if grade_id not in submitted:
            changes.append(Problem.student(f"test cell {grade_id} deleted (restored)"))
        elif submitted[grade_id].strip() != source.strip():
            changes.append(Problem.student(f"test cell {grade_id} edited (restored)"))
    return changes


def _failure_message(cell, verdict: Verdict | None) -> str:
    """Why a test failed: the grader's check, else the cell's error or text written to stderr."""
    if verdict is not None:
        return "" if verdict.passed else f"grader's check: {verdict.message}"[:500]
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"[:500]
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return f"wrote to stderr: {output.get('text', '')}"[:500]
    return ""


def _autograded(folder: Path) -> list[tuple[str, nbformat.NotebookNode]]:
    return [(path.stem, nbformat.read(path, as_version=4)) for path in sorted(folder.glob("*.ipynb"))]


def _outcomes(notebooks: list[tuple[str, nbformat.NotebookNode]], grades: list[GradeRow],
              verdicts: dict[str, Verdict], notebook_passed: dict[str, bool]) -> list[TestOutcome]:
    """Per autograded test: points earned (from the gradebook) and why it failed (the grader's check first)."""
    earned = {(g.notebook, g.name): g for g in grades}
    outcomes = []
    for name, nb in notebooks:
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                grade = earned.get((name, meta["grade_id"]))
                outcomes.append(TestOutcome(notebook=name, test=meta["grade_id"], points=meta.get("points", 0),
                                            score=(grade.auto_score or 0.0) if grade else 0.0,
                                            message=_failure_message(cell, verdicts.get(meta["grade_id"])),
                                            notebook_passed=notebook_passed.get(meta["grade_id"])))
    return outcomes


def _limit_problems(notebooks: list[tuple[str, nbformat.NotebookNode]]) -> list[Problem]:
    """Cells stopped by a limit (time, memory, processes, file size), named by notebook and cell number."""
    problems = []
    for name, nb in notebooks:
        for index, cell in enumerate(nb.cells, start=1):
            for output in cell.get("outputs", []):
                if output.get("output_type") != "error":
                    continue
                kind = LIMIT_ERRORS.get(output.get("ename", ""))
                kind = kind or next((k for e, k in FILE_LIMITS.items() if e in str(output.get("evalue", ""))), None)
                stopped = output.get("ename") == "CellTimeoutError" and output.get("evalue")  # see RecordingExecute
                if kind:
                    problems.append(Problem.limit(f"{kind} in {name} cell {index}" +
                                                  (f": {output['evalue']}" if stopped else "")))
    return problems


def _setup_failures(notebooks: list[tuple[str, nbformat.NotebookNode]], setup: list[str]) -> list[Problem]:
    """Errors in the released set-up cells that run before any student code (imports, data): the grader's fault."""
    problems = []
    for name, nb in notebooks:
        for index, cell in enumerate(nb.cells, start=1):
            if cell.cell_type != "code":
                continue
            if cell.source.strip() not in setup:
                break
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if errors:
                problems.append(Problem.infrastructure(
                    f"set-up cell {index} of {name} failed before any student code ran "
                    f"({errors[0].get('ename')}: {str(errors[0].get('evalue'))[:200]})"))
                break
    return problems


def _add_phases(result: Result, progress_file: Path, autograde_seconds: float) -> None:
    """Seconds of the kernel start and of each kind of cell (see RecordingExecute), and nbgrader's own work."""
    try:
        cells = json.loads(progress_file.read_text()).get("seconds", {})
    except (OSError, ValueError):
        cells = {}
    result.phases.update(cells)
    result.phases["nbgrader (conversion, gradebook)"] = round(max(0.0, autograde_seconds - sum(cells.values())), 3)


def _lost_kernel(progress_file: Path, log: str) -> Problem:
    """Why nbgrader gave up on a notebook, judged by where the kernel was (see RecordingExecute)."""
    try:
        where = json.loads(progress_file.read_text())
    except (OSError, ValueError):
        where = {}
    errors = [line.strip() for line in log.splitlines()
              if re.match(r"^\s*\w+(Error|Exception|Exit)\b.*:", line) and "NbGraderException" not in line]
    last_line = (errors or log.strip().splitlines() or ["no log"])[0][:200]
    if not where or where.get("event") in ("starting kernel", None) or not where.get("student_code_ran"):
        return Problem.infrastructure(f"the kernel did not start or died before any student code ran ({last_line})")
    place = f"{where['notebook']} cell {where['cell']}"
    timeout = where.get("timeout")
    if where["event"] == "stopped after time limit" or (timeout and where.get("elapsed", 0) >= timeout):
        return Problem.limit(f"cell time limit in {place}: the cell ignored the interrupt at {timeout} s and the "
                             "kernel was stopped")
    limit = where.get("limit_hit")
    if limit:
        first = f"{where['notebook']} cell {limit['cell']}"
        return Problem.limit(f"{LIMIT_ERRORS[limit['ename']]} in {first}; the kernel then died in {place} (what "
                             "that cell started or kept, processes or memory, was still there)")
    return Problem.student(f"kernel died in {place} (the code crashed it, or used up memory or processes)")


TEXT_LEFT_OUT = "(not shown: this cell's text or output could not be made into the feedback page)"


def _feedback(api, job: Job, autograded: Path, releases: dict[str, nbformat.NotebookNode]) -> list[Problem]:
    """Generate the feedback pages. Where that fails, the cause goes to the job's log with its traceback and the
    pages are made again without the student's text and outputs: if that works, what the student wrote broke
    the conversion (their problem, the points stand); if not, the grader failed."""
    first = api.generate_feedback(job.assignment, job.student, force=True)
    if first["success"]:
        return []
    cause = _log_failure("generating the feedback pages", first)
    originals = {path: path.read_bytes() for path in sorted(autograded.glob("*.ipynb"))}
    try:
        for path in originals:
            nb = nbformat.read(path, as_version=4)
            for cell in students_cells(nb, releases[path.stem]):
                cell.source = TEXT_LEFT_OUT
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs = []
            nbformat.write(nb, path)
        second = api.generate_feedback(job.assignment, job.student, force=True)
    finally:
        for path, content in originals.items():
            path.write_bytes(content)
    if not second["success"]:
        _log_failure("generating the feedback pages without the student's text", second)
        return [Problem.infrastructure(f"feedback could not be generated ({cause})")]
    return [Problem.student(f"the feedback page leaves out the notebook's text and outputs: they could not be "
                            f"converted ({cause}); the points are not affected")]


def _log_failure(step: str, outcome: dict) -> str:
    """Write nbgrader's log and traceback of a failed step to the job's log; return the error's last line."""
    text = f"{outcome.get('log', '')}\n{outcome.get('error', '')}".strip()
    print(f"--- {step} failed ---\n{text}\n--- end ---", flush=True)  # stdout is the job's worker.log
    lines = [line.strip() for line in outcome.get("error", "").splitlines() if line.strip()]
    return (lines[-1] if lines else "no traceback")[:200]


def _verify(job: Job, autograded_folder: Path, db_url: str, result: Result, notebooks: dict, releases: dict,
            probes: verification.Probes, hide: tuple[Path, ...]) -> tuple[dict[str, Verdict], dict[str, bool]]:
    """Let the grader's checks, run outside the student's kernel, decide the autograded points.

    Returns the verdicts and, per test, whether the notebook's own test passed.
    """
    started = time.monotonic()
    verdicts: dict[str, Verdict] = {}
    notebook_passed: dict[str, bool] = {}
    try:
        for name, submitted in notebooks.items():
            autograded = autograded_folder / f"{name}.ipynb"
            found = verification.verify(job, name, submitted, releases[name], probes, hide)
            verdicts.update({v.test: v for v in found})
            agreements = verification.apply(found, db_url, job, name, autograded)
            result.reviews += [a.review() for a in agreements if a.disagrees]
            notebook_passed.update({a.test: a.notebook_passed for a in agreements})
    except verification.VerificationFailed as error:
        result.problems.append(Problem.infrastructure(f"the grader's checks could not run: {error}"))
    waited = result.phases.get(VERIFICATION_PHASE, 0.0)  # the kernel's wait for the probes, if it got that far
    result.phases[VERIFICATION_PHASE] = round(waited + time.monotonic() - started, 3)
    return verdicts, notebook_passed


def _autograde(job: Job, folder: JobFolder, db_url: str, result: Result, notebooks: dict, releases: dict) -> None:
    """Run nbgrader's autograde and feedback with the kernel in the job's sandbox; fill in ``result``."""
    begun = time.monotonic()
    settings = job.settings
    sandbox = sandboxes.backend(settings.sandbox)
    work = folder.path
    scratch = work / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    quotas = contextlib.ExitStack()
    try:
        quota = settings.limits.scratch_bytes
        for name in resources.QUOTA_FOLDERS:
            quota_on = resources.scratch_quota(work / name, quota, keep=job.keep_scratch)
            result.disk_quota = quotas.enter_context(quota_on)
        hide = tuple(Path(p) for p in job.hide)
        place = quotas.enter_context(sandboxes.kernel_place(sandbox, scratch, settings, hide))
        os.environ["JUPYTER_PATH"] = str(place.jupyter_path)
        os.environ["JUPYTER_RUNTIME_DIR"] = str(scratch / "runtime")
        config = course.nbgrader_config(root=folder.course, db_url=db_url)
        config.CourseDirectory.submitted_directory = "submitted"
        config.Execute.kernel_name = sandboxes.base.KERNEL_NAME
        setup = course.setup_sources(job.assignment)
        config.Execute.timeout_func = functools.partial(course.cell_timeout, default=settings.cell_timeout,
                                                        training=settings.training_cell_timeout, setup=setup)
        config.RecordingExecute.progress_file = str(job.progress_file)
        config.RecordingExecute.setup_sources = setup
        for name, value in place.manager_settings().items():  # IPC: the sandbox has no network, not even loopback
            setattr(config.KernelManager, name, value)
        probes = verification.Probes(job, notebooks, releases, hide)  # beside the kernel's set-up cells
        quotas.callback(probes.wait)  # before the probe's quota is released
        config.RecordingExecute.before_student_code = lambda: probes.wait()  # a function: config values are copied
        from nbgrader.apps import NbGraderAPI

        api = NbGraderAPI(config=config)
        started = time.monotonic()
        result.phases["course and sandbox set-up"] += round(started - begun, 3)
        graded = api.autograde(job.assignment, job.student, force=True, create=True)
        _add_phases(result, job.progress_file, time.monotonic() - started)
        if not graded["success"]:
            log = graded.get("log", "") + graded.get("error", "")
            result.problems.append(_lost_kernel(job.progress_file, log))
            result.log_tail = log[-2000:]
            return
        autograded = folder.step("autograded", job.student, job.assignment)
        setup_problems = _setup_failures(_autograded(autograded), setup)
        if setup_problems:  # the grader's data or imports failed: nothing of the student's to verify
            result.problems += setup_problems
            return
        verdicts, notebook_passed = _verify(job, autograded, db_url, result, notebooks, releases, probes, hide)
        if not result.graded:
            return
        with course.gradebook(db_url) as gb:  # the feedback page shows the late penalty of the verified score
            gradebook.apply_deadline(gb, job.assignment, job.student, job.deadline)
        started = time.monotonic()
        result.problems += _feedback(api, job, autograded, releases)
        result.phases["feedback HTML"] = round(time.monotonic() - started, 3)
        notebooks = _autograded(autograded)
        with course.gradebook(db_url) as gb:
            result.grades = gradebook.grade_rows(gb.find_submission(job.assignment, job.student))
        result.tests = _outcomes(notebooks, result.grades, verdicts, notebook_passed)
        result.problems += _limit_problems(notebooks)
    finally:
        quotas.close()
        if not job.keep_scratch:
            for name in resources.QUOTA_FOLDERS:
                shutil.rmtree(work / name, ignore_errors=True)


def grade(job: Job) -> Result:
    """Autograde one submission as described by ``job``."""
    start = time.monotonic()
    folder = JobFolder(Path(job.work))
    root = folder.course
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    db_path = root / "gradebook.db"
    shutil.copy(job.template_db, db_path)
    gradebook.commit_without_fsync(db_path)
    releases = course.released_notebooks(job.assignment)
    notebooks, problems = _read_notebooks(Path(job.folder), list(releases))
    result = job.empty_result(*problems)
    submitted = folder.step("submitted", job.student, job.assignment)
    submitted.mkdir(parents=True)
    for name in EXCHANGE_FILES:  # from nbgrader's exchange: they let `release_feedback` find the student
        source = Path(job.folder) / name
        if source.is_file() and not source.is_symlink() and source.stat().st_size < 4096:
            if name != TIMESTAMP_FILE or read_timestamp(Path(job.folder)) is not None:  # nbgrader fails on a bad one
                shutil.copy(source, submitted / name)
    for name, nb in notebooks.items():
        result.problems += _metadata_from_release(nb, releases[name]) + _test_cell_changes(nb, releases[name])
        result.flags += [f"{name}: {p}" for p in integrity.scan_notebook(nb, releases[name])]
        nbformat.write(nb, submitted / f"{name}.ipynb")
    result.phases["course and sandbox set-up"] = round(time.monotonic() - start, 3)
    if notebooks:
        _autograde(job, folder, f"sqlite:///{db_path}", result, notebooks, releases)
    result.seconds = round(time.monotonic() - start, 2)
    return result


def run(job_file: Path) -> int:
    """Grade the job described in ``job_file`` and write ``attempt.json`` beside it (this process is the job's)."""
    group = resources.join_from_env()
    job = Job.from_json(job_file.read_text())
    result = grade(job)
    limits = job.settings.limits
    result.resources = resources.describe(group, limits.memory_bytes, limits.scratch_bytes if result.disk_quota else None)
    (job_file.parent / "attempt.json").write_text(json.dumps(result.to_dict(), indent=1))
    return 0
