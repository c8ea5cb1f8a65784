"""`formgrader`: nbgrader's formgrader on a graded class, for the written answers and comments.

Grading keeps each submission in a private course folder; this gathers them into one nbgrader
course folder, ``OUT/course`` (``submitted/``, ``autograded/``, ``feedback/`` per student, the
masters as ``source/``), whose ``nbgrader_config.py`` points at the class gradebook, and serves it
with JupyterLab. Manual scores and comments go straight into the class gradebook, where re-grading
never touches them and ``export`` reads them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

from autograder import course

KINDS = ("submitted", "autograded", "feedback")


def build_course(out_dir: Path, db_url: str) -> Path:
    """(Re)build ``OUT/course`` from the graded jobs; returns its folder."""
    root = out_dir / "course"
    for kind in KINDS:
        shutil.rmtree(root / kind, ignore_errors=True)
        for folder in sorted(out_dir.glob(f"work/jobs/*/course/{kind}/*/*")):
            shutil.copytree(folder, root / kind / folder.parent.name / folder.name)
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
            raise RuntimeError(f"feedback for {folder.parent.name}/{folder.name} failed: {done.get('error', '')[-500:]}")
    return sorted((root / "feedback").glob("*/*/*.html"))


def serve(root: Path, *, port: int, token: str | None = None, ip: str = "127.0.0.1") -> subprocess.Popen:
    """Start JupyterLab with the formgrader on ``root``; prints the URL to open."""
    token = token or secrets.token_hex(16)
    print(f"formgrader: http://{ip}:{port}/formgrader/gradebook?token={token}", flush=True)
    return subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
                             f"--ServerApp.ip={ip}", f"--IdentityProvider.token={token}",
                             f"--ServerApp.root_dir={root}", "--LabApp.default_url=/formgrader", "--allow-root"],
                            cwd=root, env={**os.environ, "JUPYTER_CONFIG_DIR": str(root / ".jupyter")})
