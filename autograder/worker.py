"""Grade one student's submission of one assignment (run in its own process by the pipeline).

    python -m autograder.worker JOB.json

The job folder gets a private nbgrader course (a copy of the template gradebook, the
submitted notebooks) and a scratch folder that is the sandboxed kernel's only writable place.
The result is written to ``result.json`` beside the job file.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import course, integrity, sandbox


def _read_notebooks(submission: Path, expected: list[str]) -> tuple[dict[str, nbformat.NotebookNode], list[str]]:
    notebooks, problems = {}, []
    for name in expected:
        path = submission / f"{name}.ipynb"
        if not path.is_file():
            problems.append(f"missing notebook {name}.ipynb")
            continue
        try:
            nb = nbformat.read(path, as_version=4)
            nbformat.validate(nb)
        except Exception as error:  # any unreadable file is the student's problem, not a crash
            problems.append(f"invalid notebook {name}.ipynb ({type(error).__name__}: not a readable notebook)")
            continue
        notebooks[name] = nb
    return notebooks, problems


def _test_cell_changes(nb, release) -> list[str]:
    """Test cells the student deleted or edited (nbgrader restores them from the master when grading)."""
    visible = course.without_hidden_tests
    tests = {c.metadata["nbgrader"]["grade_id"]: visible(c.source) for c in release.cells
             if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    submitted = {c.metadata.get("nbgrader", {}).get("grade_id"): visible(c.source) for c in nb.cells}
    changes = []
    for grade_id, source in tests.items():
        if grade_id not in submitted:
            changes.append(f"test cell {grade_id} deleted (restored)")
        elif submitted[grade_id].strip() != source.strip():
            changes.append(f"test cell {grade_id} edited (restored)")
    return changes


def _failure_message(cell) -> str:
    """What made a test cell fail, as nbgrader judges it: an error, or text written to stderr."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"[:500]
        if output.get("output_type") == "stream" and output.get("name") == "stderr":
            return f"wrote to stderr: {output.get('text', '')}"[:500]
    return ""


def _outcomes(autograded: Path, grades: list[dict]) -> list[dict]:
    """Per autograded test: points earned (from the gradebook) and the message the cell printed."""
    earned = {(g["notebook"], g["name"]): g for g in grades}
    outcomes = []
    for path in sorted(autograded.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                grade = earned.get((path.stem, meta["grade_id"]), {})
                message = _failure_message(cell)
                outcomes.append({"notebook": path.stem, "test": meta["grade_id"], "points": meta.get("points", 0),
                                 "score": grade.get("auto_score") or 0.0,
                                 "passed": (grade.get("auto_score") or 0.0) >= meta.get("points", 0),
                                 "message": message, "timeout": message.startswith("CellTimeoutError")})
    return outcomes


RUNTIME_ERRORS = {"CellTimeoutError": "cell timeout", "MemoryError": "memory limit hit",
                  "BlockingIOError": "process limit hit", "DeadKernelError": "kernel died"}


def _runtime_problems(autograded: Path) -> list[str]:
    """Cells stopped by a limit (time, memory), named by notebook and cell number."""
    problems = []
    for path in sorted(autograded.glob("*.ipynb")):
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells, start=1):
            for output in cell.get("outputs", []):
                kind = RUNTIME_ERRORS.get(output.get("ename", ""))
                if output.get("output_type") == "error" and kind:
                    problems.append(f"{kind} in {path.stem} cell {index}")
    return problems


def _grades(db_url: str, assignment: str, student: str) -> list[dict]:
    with course.gradebook(db_url) as gb:
        submission = gb.find_submission(assignment, student)
        return [g.to_dict() for nb in submission.notebooks for g in nb.grades]


def _scores(grades: list[dict]) -> dict:
    auto = [g for g in grades if g["cell_type"] == "code"]
    return {"score": sum(g["auto_score"] or 0 for g in grades if g["manual_score"] is None) +
            sum(g["manual_score"] for g in grades if g["manual_score"] is not None),
            "max_score": sum(g["max_score"] for g in grades),
            "auto_score": sum(g["auto_score"] or 0 for g in auto),
            "auto_max_score": sum(g["max_score"] for g in auto),
            "needs_manual_grade": any(g["needs_manual_grade"] for g in grades)}


def grade(job: dict) -> dict:
    """Autograde one submission as described by ``job``; returns the result record."""
    start = time.monotonic()
    work = Path(job["work"])
    student, assignment = job["student"], job["assignment"]
    root = work / "course"
    shutil.rmtree(work / "course", ignore_errors=True)
    db_path = root / "gradebook.db"
    root.mkdir(parents=True)
    shutil.copy(job["template_db"], db_path)
    db_url = f"sqlite:///{db_path}"
    masters = {p.stem: nbformat.read(p, as_version=4) for p in sorted((course.RELEASES / assignment).glob("*.ipynb"))}
    notebooks, problems = _read_notebooks(Path(job["folder"]), list(masters))
    submitted = root / "submitted" / student / assignment
    submitted.mkdir(parents=True)
    flags = []
    for name, nb in notebooks.items():
        problems += _test_cell_changes(nb, masters[name])
        flags += [f"{name}: {p}" for p in integrity.scan_notebook(nb)]
        nbformat.write(nb, submitted / f"{name}.ipynb")

    result = {"student_id": student, "assignment": assignment, "score": 0.0, "max_score": job["max_score"],
              "auto_score": 0.0, "auto_max_score": job["auto_max_score"], "tests": [], "problems": problems,
              "flags": flags}
    if notebooks:
        scratch = work / "scratch"
        shutil.rmtree(scratch, ignore_errors=True)
        sandbox.prepare_scratch(scratch)
        limits = sandbox.Limits(**job.get("limits", {}))
        hide = (course.REPO, Path(job["out"]), Path(job["folder"]).parents[1])
        # zmq IPC socket paths must stay under ~100 characters: a short folder of their own, shared with the kernel
        ipc_dir = Path(tempfile.mkdtemp(prefix="nnlab-ipc-", dir="/tmp"))
        sandbox.prepare_scratch(ipc_dir, subfolders=())
        kernel_name, jupyter_path = sandbox.install_kernelspec(job["sandbox"], scratch, limits, hide, ipc_dir)
        os.environ["JUPYTER_PATH"] = str(jupyter_path)
        (scratch / "runtime").mkdir(exist_ok=True)
        os.environ["JUPYTER_RUNTIME_DIR"] = str(scratch / "runtime")
        config = course.nbgrader_config(root=root, db_url=db_url)
        config.CourseDirectory.submitted_directory = "submitted"
        config.Execute.kernel_name = kernel_name
        if job.get("cell_timeout"):
            config.Execute.timeout_func = functools.partial(course.cell_timeout, default=int(job["cell_timeout"]))
        config.KernelManager.transport = "ipc"  # the sandbox has no network, not even loopback
        config.KernelManager.connection_file = str(scratch / "runtime" / "kernel.json")
        config.KernelManager.ip = str(ipc_dir / "kernel")
        from nbgrader.apps import NbGraderAPI

        api = NbGraderAPI(config=config)
        graded = api.autograde(assignment, student, force=True, create=True)
        if not graded["success"]:
            log = graded.get("log", "") + graded.get("error", "")
            died = "DeadKernel" in log or "Kernel died" in log or "kernel" in log.lower()
            problems.append("kernel died (crash, memory or process limit)" if died else "autograding failed")
            result["log_tail"] = log[-2000:]
        else:
            feedback = api.generate_feedback(assignment, student, force=True)
            if not feedback["success"]:
                problems.append("feedback could not be generated")
            grades = _grades(db_url, assignment, student)
            result["grades"] = [{k: g[k] for k in ("notebook", "name", "auto_score", "needs_manual_grade", "cell_type")}
                                for g in grades]
            result["tests"] = _outcomes(root / "autograded" / student / assignment, grades)
            result.update(_scores(grades))
            problems += _runtime_problems(root / "autograded" / student / assignment)
        shutil.rmtree(ipc_dir, ignore_errors=True)
    if flags:
        result["score"] -= result["auto_score"]
        result["auto_score"] = 0.0
        problems.append("flagged: code changes the grading environment; autograded points withheld for review")
    result["status"] = "graded" if not problems else "; ".join(problems)
    result["seconds"] = round(time.monotonic() - start, 2)
    return result


def main(argv: list[str] | None = None) -> int:
    job_file = Path((argv or sys.argv[1:])[0])
    job = json.loads(job_file.read_text())
    result = grade(job)
    (job_file.parent / "result.json").write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
