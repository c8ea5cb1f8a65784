"""`formgrader`: nbgrader's formgrader on a graded class, for the written answers and comments.

Grading keeps each submission in a private course folder; this gathers them into one nbgrader
course folder, ``OUT/course`` (``submitted/``, ``autograded/``, ``feedback/`` per student, the
masters as ``source/``), whose ``nbgrader_config.py`` points at the class gradebook, and serves it
with JupyterLab. Manual scores and comments go straight into the class gradebook, where re-grading
never touches them and ``export`` reads them.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import sys
from pathlib import Path

import nbformat

from autograder import course
from autograder.preprocessors.remove_rubrics import RUBRIC_METADATA
from autograder.errors import GraderFailed
from autograder.store import ResultStore

KINDS = ("submitted", "autograded", "feedback")


RUBRIC = re.compile(r"\*\*Grader's rubric\.\*\*.*?(?=\*\*Model answer\.\*\*|### END SOLUTION|\Z)", re.S)


def rubrics(assignment: str) -> dict[tuple[str, str], str]:
    """(notebook, grade id) -> the grader's rubric of each written answer, from the master notebooks."""
    found = {}
    for path in sorted((course.SOLUTIONS / assignment).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            match = RUBRIC.search(cell.source)
            if match and cell.metadata.get("nbgrader", {}).get("grade_id"):
                found[(path.stem, cell.metadata["nbgrader"]["grade_id"])] = match.group(0).strip()
    return found


def with_rubrics(nb: nbformat.NotebookNode, notebook: str, assignment: str) -> nbformat.NotebookNode:
    """The notebook with each written answer followed by its rubric (a cell feedback removes, see RemoveRubrics)."""
    texts = rubrics(assignment)
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        text = texts.get((notebook, cell.metadata.get("nbgrader", {}).get("grade_id")))
        if text:
            cells.append(nbformat.v4.new_markdown_cell(f"> {text}", metadata={"nnlab": {RUBRIC_METADATA: True}}))
    nb.cells = cells
    return nb


def build_course(out_dir: Path, db_url: str) -> Path:
    """(Re)build ``OUT/course`` from the graded jobs (rubrics shown under written answers); returns its folder."""
    root = out_dir / "course"
    for kind in KINDS:
        shutil.rmtree(root / kind, ignore_errors=True)
        for folder in (f for job in ResultStore(out_dir).job_folders() for f in job.steps(kind)):
            shutil.copytree(folder, root / kind / folder.parent.name / folder.name)
    for path in sorted((root / "autograded").glob("*/*/*.ipynb")):
        nb = with_rubrics(nbformat.read(path, as_version=4), path.stem, path.parent.name)
        nbformat.write(nb, path)
    shutil.rmtree(root / "source", ignore_errors=True)
    shutil.copytree(course.SOLUTIONS, root / "source", ignore=shutil.ignore_patterns(".*"))
    (root / "nbgrader_config.py").write_text(
        '"""nbgrader settings of this graded class (written by `python -m autograder formgrader`)."""\n'
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(root.resolve())!r}\n"
        f"c.CourseDirectory.course_id = {course.COURSE_ID!r}\n"
        f"c.CourseDirectory.db_url = {db_url!r}\n"
        'c.CourseDirectory.source_directory = "source"\n'
        f"c.Exchange.root = {str((root / 'exchange').resolve())!r}\n")
    (root / "exchange").mkdir(exist_ok=True)
    return root


def regenerate_feedback(out_dir: Path, db_url: str) -> list[Path]:
    """Feedback pages from the class gradebook (manual scores and comments included); returns the pages."""
    from nbgrader.apps import NbGraderAPI

    root = build_course(out_dir, db_url)
    api = NbGraderAPI(config=course.nbgrader_config(root=root, db_url=db_url, source=root / "source"))
    for folder in sorted((root / "autograded").glob("*/*")):
        done = api.generate_feedback(folder.name, folder.parent.name, force=True)
        if not done["success"]:
            raise GraderFailed(f"feedback for {folder.parent.name}/{folder.name} failed: {done.get('error', '')[-500:]}")
    return sorted((root / "feedback").glob("*/*/*.html"))


def release_feedback(out_dir: Path, db_url: str, exchange: Path) -> list[str]:
    """Release ``OUT/course/feedback`` through nbgrader's exchange at ``exchange`` (JupyterHub courses).

    Only submissions that came through the exchange (they carry nbgrader's submission secret) can
    be matched to their student there; the others are returned, to hand back as zips instead.
    """
    from nbgrader.apps import NbGraderAPI

    root = out_dir / "course"
    without_secret = sorted({p.parent.name for p in (root / "feedback").glob("*/*")
                             if not (p / "submission_secret.txt").is_file()})
    config = course.nbgrader_config(root=root, db_url=db_url, source=root / "source")
    config.Exchange.root = str(exchange.resolve())
    config.CourseDirectory.student_id_exclude = ",".join(without_secret)
    api = NbGraderAPI(config=config)
    for assignment in sorted({p.name for p in (root / "feedback").glob("*/*")}):
        done = api.release_feedback(assignment)
        if not done["success"]:
            raise GraderFailed(f"release_feedback for {assignment} failed: {done.get('error', '')[-500:]}")
    return without_secret


def serve(root: Path, *, port: int, token: str | None = None, ip: str = "127.0.0.1") -> None:
    """Become JupyterLab with the formgrader on ``root`` (this process is the server; Ctrl-C stops it)."""
    token = token or secrets.token_hex(16)
    print(f"formgrader: http://{ip}:{port}/formgrader/gradebook?token={token}", flush=True)
    os.chdir(root)
    argv = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}", f"--ServerApp.ip={ip}",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.default_url=/formgrader",
            "--allow-root"]
    os.execve(sys.executable, argv, {**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".jupyter")})
