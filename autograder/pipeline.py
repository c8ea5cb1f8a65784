"""Grade a whole class: one sandboxed job per submission, run in parallel, resumable.

Each job has its own nbgrader course folder and SQLite gradebook, so workers never share a
database; the class gradebook is written afterwards by this process alone.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat

from autograder import course, sandbox
from autograder.release import generate
from autograder.submissions import Submission, discover

CSV_COLUMNS = ["student_id", "assignment", "score", "max_score", "auto_score", "auto_max_score", "status", "seconds"]


def max_scores(assignment: str) -> tuple[float, float]:
    """(all points, autograded points) of an assignment, read from its master notebooks."""
    total = auto = 0.0
    for path in (course.SOLUTIONS / assignment).glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                total += meta.get("points", 0)
                auto += meta.get("points", 0) if cell.cell_type == "code" else 0
    return total, auto


def prepare_template(work: Path, assignments: list[str]) -> Path:
    """A gradebook with every assignment generated, copied into each job."""
    template = work / "template.db"
    if not template.exists():
        staging = work / "template-release"
        for assignment in assignments:
            generate(assignment, staging, db_url=f"sqlite:///{work / 'template.tmp.db'}")
        (work / "template.tmp.db").rename(template)
        shutil.rmtree(staging, ignore_errors=True)
    return template


def _die_with_parent() -> None:
    """In the child: get SIGKILL when the grader that started it dies (Linux), and start a new session."""
    os.setsid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def run_job(job_file: Path, wall_seconds: int) -> dict:
    """Grade one prepared job in its own process, killing it after ``wall_seconds``."""
    job = json.loads(job_file.read_text())
    result_file = job_file.parent / "result.json"
    result_file.unlink(missing_ok=True)
    log = (job_file.parent / "worker.log").open("w")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "autograder.worker", str(job_file)], stdout=log,
                               stderr=subprocess.STDOUT, preexec_fn=_die_with_parent, env=env)
    try:
        process.wait(timeout=wall_seconds)
        status = None if process.returncode == 0 else f"grader process failed (exit code {process.returncode})"
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        status = f"timed out: grading took longer than {wall_seconds} s"
    finally:
        log.close()
        subprocess.run(["pkill", "-9", "-f", str(job_file.parent / "scratch")], capture_output=True)
    if status is None and result_file.exists():
        return json.loads(result_file.read_text())
    return {"student_id": job["student"], "assignment": job["assignment"], "score": 0.0,
            "max_score": job["max_score"], "auto_score": 0.0, "auto_max_score": job["auto_max_score"],
            "tests": [], "problems": [status or "no result"], "flags": [], "status": status or "no result",
            "seconds": wall_seconds}


def grade_class(
    submissions_dir: Path,
    out_dir: Path,
    *,
    workers: int | None = None,
    sandbox_kind: str = "auto",
    resume: bool = True,
    limits: sandbox.Limits | None = None,
    cell_timeout: int | None = None,
    scheduler: str | None = None,
    db_url: str | None = None,
    progress=print,
) -> list[dict]:
    """Grade every ``<student>/<assignment>`` folder; writes grades.csv, feedback/ and the gradebook to ``out_dir``.

    ``scheduler`` (``tcp://host:port``) sends one task per submission to a Dask cluster instead of
    local worker processes; ``db_url`` is the class gradebook (default: SQLite ``out_dir/gradebook.db``).
    """
    os.environ.setdefault("NNLAB_BUDGET", "grade")
    kind = sandbox.choose(sandbox_kind)
    mirror = os.environ.get("NNLAB_DATA_DIR")
    if not mirror or not Path(mirror).is_dir():
        raise sandbox.SandboxUnavailable(
            "NNLAB_DATA_DIR must name the dataset mirror (a folder with mnist.npz and cifar10.npz): graded "
            "notebooks have no network, so they cannot download datasets")
    limits = limits or sandbox.Limits()
    workers = workers or default_workers()
    assignments = course.assignments()
    submissions, skipped = discover(submissions_dir, assignments)
    for line in skipped:
        progress(line)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = out_dir / "work"
    work.mkdir(exist_ok=True)
    template = prepare_template(work, assignments)
    scores = {a: max_scores(a) for a in assignments}
    jobs: dict[Submission, Path] = {}
    results: dict[Submission, dict] = {}
    for sub in submissions:
        job_dir = work / "jobs" / sub.key
        job_dir.mkdir(parents=True, exist_ok=True)
        done = job_dir / "done.json"
        if resume and done.exists():
            results[sub] = json.loads(done.read_text())
            continue
        job = {"student": sub.student, "assignment": sub.assignment, "folder": str(sub.folder.resolve()),
               "work": str(job_dir.resolve()), "out": str(out_dir.resolve()), "template_db": str(template.resolve()), "sandbox": kind,
               "max_score": scores[sub.assignment][0], "auto_max_score": scores[sub.assignment][1],
               "limits": limits.__dict__, "cell_timeout": cell_timeout}
        (job_dir / "job.json").write_text(json.dumps(job, indent=1))
        jobs[sub] = job_dir / "job.json"
    if results:
        progress(f"resuming: {len(results)} submission(s) already graded")
    n_notebooks = {a: len(list((course.SOLUTIONS / a).glob("*.ipynb"))) for a in assignments}
    wall = {s: limits.notebook_wall_seconds * n_notebooks[s.assignment] + 60 for s in jobs}
    start = time.monotonic()
    if scheduler:
        from autograder.cluster import run_on_cluster

        finished = run_on_cluster(jobs, wall, scheduler)
    else:
        finished = _run_locally(jobs, wall, workers)
    for i, (sub, result) in enumerate(finished, start=1):
        (jobs[sub].parent / "done.json").write_text(json.dumps(result, indent=1))
        results[sub] = result
        progress(f"[{i}/{len(jobs)}] {sub.student}/{sub.assignment}: {result['score']:g}/{result['max_score']:g} "
                 f"({result['status']}) in {result['seconds']:.0f} s, {time.monotonic() - start:.0f} s elapsed")
    ordered = [results[s] for s in sorted(results, key=lambda s: (s.student, s.assignment))]
    write_csv(ordered, out_dir / "grades.csv")
    copy_feedback(work, out_dir / "feedback")
    merge_gradebooks(db_url or f"sqlite:///{(out_dir / 'gradebook.db').resolve()}", assignments, ordered, work,
                     template=template)
    return ordered


# Peak resident memory of one grading kernel at the `grade` budget is ~1.3 GiB (a3, CIFAR-10);
# the margin covers nbgrader and the worker process.
RESIDENT_BYTES_PER_NOTEBOOK = 3 * 2**30


def default_workers() -> int:
    """Notebooks graded at once by default: one per usable CPU, as many as memory allows.

    Small training runs leave much of a second core idle (tracing, Python, I/O), so even on two
    cores two notebooks at once finish sooner than one after the other (benchmarks/results/bench.md).
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return max(1, cpus)
    return max(1, min(cpus, available // RESIDENT_BYTES_PER_NOTEBOOK))


def _run_locally(jobs: dict[Submission, Path], wall: dict[Submission, int], workers: int):
    """Yield (submission, result) as local worker processes finish."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(run_job, f, wall[s]): s for s, f in jobs.items()}
        for future in as_completed(futures):
            yield futures[future], future.result()


def write_csv(results: list[dict], path: Path) -> None:
    """One row per student and assignment."""
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in results:
            writer.writerow({**row, **{k: round(float(row[k]), 2) for k in CSV_COLUMNS[2:6]}})


def copy_feedback(work: Path, target: Path) -> None:
    """Collect each job's feedback HTML into ``target/<student>/<assignment>/``."""
    for html in work.glob("jobs/*/course/feedback/*/*/*.html"):
        student, assignment = html.parts[-3], html.parts[-2]
        destination = target / student / assignment / html.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(html, destination)


def ensure_assignments(db_url: str, assignments: list[str], work: Path, template: Path | None = None) -> None:
    """Create the assignments (notebooks, cells, points) in the class gradebook if it lacks them.

    A new SQLite gradebook starts as a copy of ``template`` (a gradebook with every assignment).
    """
    from nbgrader.api import MissingEntry

    sqlite_file = Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite:///") else None
    if template is not None and sqlite_file is not None and not sqlite_file.exists():
        shutil.copy(template, sqlite_file)
    for assignment in assignments:
        with course.gradebook(db_url) as gb:
            try:
                gb.find_assignment(assignment)
                continue
            except MissingEntry:
                pass
        generate(assignment, work / "class-release", db_url=db_url)


def merge_gradebooks(db_url: str, assignments: list[str], results: list[dict], work: Path,
                     attempts: int = 5, template: Path | None = None) -> None:
    """Write every result's grades into the class gradebook.

    Grading processes never touch it: this process is its only writer here. Several graders may
    share a server gradebook, so each submission is written in its own transaction and retried
    if another grader created the same rows at the same moment.
    """
    from sqlalchemy.exc import IntegrityError, OperationalError, SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own session use; rows are correct
        ensure_assignments(db_url, assignments, work, template)
        for result in results:
            for attempt in range(attempts):
                try:
                    with course.gradebook(db_url) as gb:
                        _write_result(gb, result)
                    break
                except (IntegrityError, OperationalError):
                    if attempt == attempts - 1:
                        raise
                    time.sleep(0.2 * (attempt + 1))


def _write_result(gb, result: dict) -> None:
    student, assignment = result["student_id"], result["assignment"]
    gb.update_or_create_student(student)
    gb.update_or_create_submission(assignment, student)
    withheld = bool(result.get("flags"))
    for grade in result.get("grades", []):
        target = gb.find_grade(grade["name"], grade["notebook"], assignment, student)
        target.auto_score = 0.0 if withheld and grade["cell_type"] == "code" else grade["auto_score"]
        target.needs_manual_grade = grade["needs_manual_grade"]
    gb.db.commit()
