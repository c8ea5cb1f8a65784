"""Helpers for end-to-end grading tests: run the CLI, read its outputs."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from autograder.results import Result

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args: str, budget: str | None = "smoke", timeout: int = 1500, path: list[Path] = (),
            env: dict[str, str] | None = None, repo: Path = REPO) -> subprocess.CompletedProcess:
    """Run ``python -m autograder ARGS`` as an instructor would, in ``repo`` (the kit, or a copy of it).

    ``grade`` gets ``--budget BUDGET`` unless ``budget`` is None; ``path`` folders go first on PATH.
    """
    environment = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    environment["PATH"] = os.pathsep.join([*map(str, path), environment["PATH"]])
    extra = ["--budget", budget] if args[0] == "grade" and budget else []
    return subprocess.run([sys.executable, "-m", "autograder", *args, *extra], cwd=repo, env=environment,
                          capture_output=True, text=True, timeout=timeout)


def copy_of_the_kit(dest: Path) -> Path:
    """The kit's tracked files copied into ``dest`` (an instructor's clone to change), without its outputs."""
    import shutil

    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, text=True, check=True)
    for name in filter(None, tracked.stdout.split("\0")):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


def grades(out: Path) -> dict[tuple[str, str], dict]:
    """Rows of grades.csv keyed by (student, assignment)."""
    with (out / "grades.csv").open() as handle:
        return {(r["student_id"], r["assignment"]): r for r in csv.DictReader(handle)}


def result(out: Path, student: str, assignment: str) -> Result:
    """The full result record of one submission (per-test outcomes included)."""
    return Result.from_dict(json.loads((out / "work" / "jobs" / f"{student}__{assignment}" / "result.json").read_text()))


def passed_tests(out: Path, student: str, assignment: str) -> dict[str, bool]:
    return {t.test: t.passed for t in result(out, student, assignment).tests}


def autograded_notebook_text(out: Path, student: str, assignment: str) -> str:
    folder = out / "work" / "jobs" / f"{student}__{assignment}" / "course" / "autograded" / student / assignment
    return "".join(p.read_text() for p in folder.glob("*.ipynb"))


def cell_outputs(out: Path, student: str, assignment: str, cell_id: str) -> list[dict]:
    """Outputs of one cell of the autograded notebook."""
    folder = out / "work" / "jobs" / f"{student}__{assignment}" / "course" / "autograded" / student / assignment
    for path in folder.glob("*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == cell_id:
                return cell.get("outputs", [])
    raise KeyError(cell_id)


def three_of_a1(root: Path) -> Path:
    """``master``, ``wrong-width`` (a typical mistake: part of the points) and ``blank`` of assignment 1, written
    exactly as the session's shared class writes them, so a test can compare its own run with the shared class's rows.

    The mistake is in a step no later step is judged again for (a mistake charged once reruns the notebook),
    so the three grade in about 90 worker-seconds at ``smoke``."""
    from autograder import examples

    a1 = "a1_noise_mlp"
    examples.write_submission(root, "master", a1, examples.solved(a1))
    mistake = next(m for m in examples.MUTATIONS if m.name == "wrong_width")
    examples.write_submission(root, "wrong-width", a1, examples.mutate(examples.solved(a1), mistake.cell, mistake.source))
    examples.write_submission(root, "blank", a1, examples.notebook_path(a1, solution=False).read_text())
    return root


def rows_of(graded: Path, class_folder: Path) -> dict[tuple[str, str], dict]:
    """The grades.csv rows of ``graded`` for the submissions in ``class_folder``, without timings."""
    wanted = {(s.name, a.name) for s in class_folder.iterdir() if s.is_dir() for a in s.iterdir()}
    return {k: {c: v for c, v in r.items() if c != "seconds"} for k, r in grades(graded).items() if k in wanted}
