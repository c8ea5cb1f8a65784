"""`bundle`: what an instructor hands out to students, and nothing more.

One bundle for the whole course and one per assignment, each a folder and a zip with: the
student notebooks (generated afresh from the masters by nbgrader), the ``helpers`` package the
notebooks import, a ``pyproject.toml`` and an ``environment.yml`` with the student's
dependencies, a README for students, and the kit's documents that the notebooks cite for their
reference numbers (with the figures those link to). No master, solution, rubric, ``reference`` module or
grader code is copied: the bundle is built from an allowlist, and ``tests/test_bundle.py``
checks that no line of any solution region reaches it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder import course
from autograder.errors import CannotRun

# The student's dependencies: the kit's own pins, less what only the grader needs.
STUDENT_PACKAGES = ("tensorflow", "keras", "numpy", "matplotlib", "seaborn", "prettytable", "jupyterlab",
                    "nbgrader", "tqdm")
COURSE_BUNDLE = "nnlab-course"
STUDENT_README = Path(__file__).with_name("student_readme.md")


@dataclass(frozen=True)
class Bundle:
    """One hand-out: its folder, its zip and the assignments in it."""

    folder: Path
    archive: Path
    assignments: tuple[str, ...]


def student_dependencies() -> list[str]:
    """The pinned requirements of the kit's ``pyproject.toml`` that a student needs."""
    pins = tomllib.loads((course.REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    return [pin for pin in pins if re.match(r"[A-Za-z0-9_.-]+", pin).group(0).lower() in STUDENT_PACKAGES]


def _pyproject(version: str) -> str:
    requirements = "".join(f'    "{pin}",\n' for pin in student_dependencies())
    return ("[build-system]\nrequires = [\"setuptools>=68\", \"wheel\"]\nbuild-backend = \"setuptools.build_meta\"\n\n"
            f"[project]\nname = \"nnlab-student\"\nversion = \"{version}\"\n"
            "description = \"The helpers the nnlab assignments import.\"\n"
            f"requires-python = \">=3.11,<3.12\"\ndependencies = [\n{requirements}]\n\n"
            "[tool.setuptools.packages.find]\ninclude = [\"helpers*\"]\n")


def _environment() -> str:
    pins = "".join(f"      - {pin}\n" for pin in student_dependencies())
    return ("# conda env create -f environment.yml && conda activate nnlab-student && pip install -e . --no-deps\n"
            "name: nnlab-student\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - pip\n  - pip:\n"
            f"{pins}")


def _copy_helpers(target: Path) -> None:
    shutil.copytree(course.REPO / "helpers", target / "helpers", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


CITED = re.compile(r"`((?:docs|benchmarks/results)/[\w./-]+\.md)`")  # how a notebook names a document of the kit
LINK = re.compile(r"\]\(([^)#:\s]+)")  # a document's relative links (figures, other documents)


def cited_documents(texts: list[str]) -> list[Path]:
    """The kit's documents that ``texts`` cite, with every file they link to, as paths relative to the repository:
    the reference numbers an expected output comes from, so a bundle stands alone."""
    wanted = [Path(name) for text in texts for name in CITED.findall(text)]
    found: set[Path] = set()
    while wanted:
        path = wanted.pop()
        if path in found or not (course.REPO / path).is_file():
            continue
        found.add(path)
        if path.suffix == ".md":
            wanted += [Path(os.path.normpath(path.parent / link)) for link in LINK.findall((course.REPO / path).read_text())]
    return sorted(found)


def _texts(folder: Path) -> list[str]:
    import nbformat

    texts = [cell.source for path in sorted(folder.rglob("*.ipynb")) for cell in nbformat.read(path, as_version=4).cells]
    return texts + [STUDENT_README.read_text()]


def _write(folder: Path, releases: Path, assignments: tuple[str, ...]) -> None:
    from helpers import __version__

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for assignment in assignments:
        shutil.copytree(releases / assignment, folder / assignment)
    _copy_helpers(folder)
    (folder / "pyproject.toml").write_text(_pyproject(__version__))
    (folder / "environment.yml").write_text(_environment())
    listing = "\n".join(f"- `{a}/`" for a in assignments)
    (folder / "README.md").write_text(STUDENT_README.read_text().replace("{assignments}", listing))
    for path in cited_documents(_texts(folder)):
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(course.REPO / path, folder / path)


def build(out: Path, assignments: list[str] | None = None) -> list[Bundle]:
    """Write the course bundle and one bundle per assignment into ``out`` (folders and zips)."""
    from autograder.release import release

    chosen = tuple(assignments or course.assignments())
    unknown = sorted(set(chosen) - set(course.assignments()))
    if unknown:
        raise CannotRun(f"unknown assignment(s) {', '.join(unknown)}; known: {', '.join(course.assignments())}")
    out.mkdir(parents=True, exist_ok=True)
    built = []
    with tempfile.TemporaryDirectory() as tmp:
        releases = Path(tmp)
        release(out=releases, assignments=list(chosen))
        for name, members in [(COURSE_BUNDLE, chosen)] + [(f"nnlab-{a}", (a,)) for a in chosen]:
            folder = out / name
            _write(folder, releases, members)
            archive = Path(shutil.make_archive(str(out / name), "zip", root_dir=out, base_dir=name))
            built.append(Bundle(folder, archive, members))
    return built
