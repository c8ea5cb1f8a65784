"""The student bundle holds what students need and none of the answers."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import bundle, course
from tests.grading import run_cli

SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    return bundle.build(tmp_path_factory.mktemp("bundle"))


def _answer_lines() -> set[str]:
    """Every meaningful line of the masters' solution regions and hidden tests, less what the task text gives away.

    (Step 1's text tells students to write ``rng = np.random.default_rng(seed)``: that line is not a leak.)
    """
    lines, given = set(), ""
    for path in course.SOLUTIONS.glob("*/*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            for region in SOLUTION.findall(cell.source) + HIDDEN.findall(cell.source):
                lines |= {line for line in _lines(region) if len(re.sub(r"\W", "", line)) >= 6}
            if cell.cell_type == "markdown":
                given += SOLUTION.sub("", cell.source)
    return {line for line in lines if line not in given}


def _bundle_text(folder: Path) -> str:
    """All text of the bundle, notebooks cell by cell (their JSON escapes quotes and newlines)."""
    parts = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".ipynb":
            parts += [cell.source for cell in nbformat.read(path, as_version=4).cells]
        else:
            parts.append(path.read_text(errors="replace"))
    return "\n".join(parts)


def _lines(text: str) -> set[str]:
    """Lines without indentation, comment marks or quotes around them."""
    return {line.strip().lstrip("#> ").strip("`'\",") for line in text.splitlines()}


def test_a_course_bundle_and_one_per_assignment(bundles):
    assignments = tuple(course.assignments())
    assert [b.assignments for b in bundles] == [assignments] + [(a,) for a in assignments]
    for built in bundles:
        top = {p.name for p in built.folder.iterdir()}
        documents = {"docs", "benchmarks"}  # only the cited documents in them (next test)
        assert top - documents == {"README.md", "pyproject.toml", "environment.yml", "helpers", *built.assignments}
        assert not [p for p in built.folder.glob("benchmarks/**/*") if p.suffix not in (".md", "")]
        assert not [p for p in built.folder.glob("docs/**/*") if p.suffix not in (".md", ".png", "")]
        for assignment in built.assignments:
            released = sorted(p.name for p in (course.RELEASES / assignment).glob("*.ipynb"))
            assert sorted(p.name for p in (built.folder / assignment).glob("*.ipynb")) == released
        with zipfile.ZipFile(built.archive) as archive:
            zipped = {name.split("/", 1)[1] for name in archive.namelist() if not name.endswith("/")}
        assert zipped == {str(p.relative_to(built.folder)) for p in built.folder.rglob("*") if p.is_file()}


def test_no_line_of_any_answer_is_in_the_bundle(bundles):
    answers = _answer_lines()
    assert len(answers) > 40  # the masters' solutions were found
    text = _bundle_text(bundles[0].folder)
    present = sorted(answers & _lines(text))
    assert not present, f"answer lines in the student bundle: {present[:5]}"
    assert "Grader's rubric" not in text and "Model answer" not in text


def test_no_reference_implementation_is_in_the_bundle(bundles):
    """``reference/`` holds every graded step's implementation; none of its functions is in the student's helpers."""
    reference = {node.name for path in (course.REPO / "reference").glob("*.py")
                 for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)}
    assert {"mlp", "cnn", "add_gaussian_noise"} <= reference
    for path in bundles[0].folder.rglob("*.py"):
        defined = {node.name for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.FunctionDef)}
        assert not defined & reference, f"{path.name} defines {sorted(defined & reference)}"


def test_the_helpers_work_from_the_bundle_alone(bundles):
    folder = bundles[0].folder
    probe = ("import importlib, pkgutil, sys\n"
             f"sys.path.insert(0, {str(folder)!r})\n"
             "import helpers\n"
             f"assert helpers.__file__.startswith({str(folder)!r}), helpers.__file__\n"
             "for module in pkgutil.iter_modules(helpers.__path__):\n"
             "    importlib.import_module('helpers.' + module.name)\n"
             "leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('reference', 'autograder'))\n"
             "assert not leaked, leaked\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=folder)
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_environment_pins_the_kits_versions(bundles):
    folder = bundles[0].folder
    kit = tomllib.loads((course.REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    student = tomllib.loads((folder / "pyproject.toml").read_text())["project"]["dependencies"]
    assert set(student) <= set(kit)
    assert {pin.split(">")[0].split("[")[0] for pin in student} == set(bundle.STUDENT_PACKAGES)
    environment = (folder / "environment.yml").read_text()
    assert all(f"- {pin}\n" in environment for pin in student)


def test_the_student_readme_covers_set_up_data_budget_and_submitting(bundles):
    readme = (bundles[1].folder / "README.md").read_text()
    assert "- `a1_noise_mlp/`" in readme and "a2_depth_bn_dropout" not in readme
    for needed in (".venv/bin/pip install -e .", "NNLAB_DATA_DIR", "%env NNLAB_BUDGET=smoke", "nbgrader submit",
                   "fetch_feedback"):
        assert needed in readme


def test_an_unknown_assignment_is_a_clear_error(tmp_path):
    done = run_cli("bundle", "a9_missing", "--out", str(tmp_path))
    assert done.returncode == 2 and "unknown assignment(s) a9_missing" in done.stderr
    assert not any(tmp_path.iterdir())


def test_a_bundle_stands_alone_every_document_it_cites_is_in_it(bundles):
    """The reference numbers a notebook cites come with it: every cited document and what it links to."""
    for b in bundles:
        texts = [cell.source for path in b.folder.rglob("*.ipynb") for cell in nbformat.read(path, as_version=4).cells]
        texts.append((b.folder / "README.md").read_text())
        cited = {name for text in texts for name in bundle.CITED.findall(text)}
        assert cited, "no notebook cites a document: the check below would prove nothing"
        missing = [name for name in cited if not (b.folder / name).is_file()]
        assert not missing, (b.folder.name, missing)
        for document in b.folder.rglob("*.md"):
            broken = [link for link in bundle.LINK.findall(document.read_text())
                      if not (document.parent / link).exists()]
            assert not broken, (document.relative_to(b.folder), broken)
        with zipfile.ZipFile(b.archive) as archive:
            assert all(f"{b.folder.name}/{name}" in archive.namelist() for name in cited)
