"""Shared test settings: offline data mirror, smoke budget, headless plotting."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ["NNLAB_BUDGET"] = "smoke"  # a budget left exported in the shell must not make the suite run for hours

REPO = Path(__file__).resolve().parents[1]
os.environ["NNLAB_COURSE_FILE"] = str(REPO / "tests" / "course.toml")  # not the instructor's due dates
DEFAULT_MIRROR = REPO.parent / "shared" / "datasets"
if "NNLAB_DATA_DIR" not in os.environ and DEFAULT_MIRROR.is_dir():
    os.environ["NNLAB_DATA_DIR"] = str(DEFAULT_MIRROR)


SHARED_CLASS_GROUP = "shared-class"
# The shared class is the longest job of `make test`; the other test process grades its own classes with two
# workers meanwhile, so a third worker here gives this one an even share of the two cores.
SHARED_CLASS_WORKERS = 3


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config, items) -> None:
    """Groups for ``pytest -n N --dist loadgroup`` (``make test``): each group runs on one worker process.

    Every test of the shared graded class is in one group (a session fixture is made once per worker that
    needs it, and it is the longest job); every other test stays with its module, so a module's fixtures
    (e.g. the hostile-submission class) are graded once.
    """
    for item in items:
        group = SHARED_CLASS_GROUP if "shared_class" in item.fixturenames else item.module.__name__
        item.add_marker(pytest.mark.xdist_group(group))


def pytest_xdist_node_collection_finished(node, ids) -> None:
    """pytest-xdist marks a test's group in its node id; where it cannot (pytest 9.2, pytest-xdist issue 1386),
    stop, instead of grading the shared class once per test process."""
    if getattr(node.config.option, "dist", "") == "loadgroup" and ids and not any("@" in i for i in ids):
        pytest.exit("pytest-xdist cannot group tests with this pytest (pytest-xdist issue 1386): install the "
                    "versions pyproject.toml pins (`make setup`) or run pytest without -n", returncode=4)


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def mirror() -> Path:
    path = Path(os.environ.get("NNLAB_DATA_DIR", DEFAULT_MIRROR))
    if not (path / "mnist.npz").is_file():
        pytest.fail(f"the dataset mirror is missing: set NNLAB_DATA_DIR to a folder with mnist.npz ({path})")
    return path


@dataclass(frozen=True)
class SharedClass:
    """The class graded once per test session: every module's ``class_submissions`` in one `grade` run."""

    out: Path
    mirror_before: str  # sha256 of the mirror's mnist.npz before and after grading
    mirror_after: str


def mirror_digest() -> str:
    mirror = Path(os.environ.get("NNLAB_DATA_DIR", DEFAULT_MIRROR))
    return hashlib.sha256((mirror / "mnist.npz").read_bytes()).hexdigest()


def _same_files(a: Path, b: Path) -> bool:
    files = lambda root: {p.relative_to(root): p.read_bytes() for p in root.rglob("*") if p.is_file()}  # noqa: E731
    return files(a) == files(b)


@pytest.fixture(scope="session")
def shared_class(request, tmp_path_factory) -> SharedClass:
    """Grade, in one run with ``SHARED_CLASS_WORKERS`` workers, the submissions of every selected module that uses this fixture.

    Each such module defines ``class_submissions(folder)``; two modules may write the same submission only
    byte for byte. Selecting one module (``pytest tests/test_red_team.py``) grades only its submissions.
    """
    from tests.grading import run_cli

    modules = sorted({item.module for item in request.session.items if "shared_class" in item.fixturenames},
                     key=lambda m: m.__name__)
    root = tmp_path_factory.mktemp("shared-class")
    subs = root / "submissions"
    subs.mkdir()
    for module in modules:
        part = root / module.__name__
        module.class_submissions(part)
        for submission in part.glob("*/*"):
            target = subs / submission.relative_to(part)
            if target.exists():
                assert _same_files(target, submission), f"{target.relative_to(subs)} written twice, differently"
                continue
            target.parent.mkdir(exist_ok=True)
            submission.rename(target)
    before = mirror_digest()
    completed = run_cli("grade", str(subs), "--out", str(root / "out"), "--workers", str(SHARED_CLASS_WORKERS),
                        timeout=5400)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return SharedClass(root / "out", before, mirror_digest())
