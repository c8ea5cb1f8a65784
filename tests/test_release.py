"""Student notebooks are generated from the masters and must stay in sync."""

import json
import re

import nbformat
import pytest

from autograder import course, examples
from autograder.release import release


def test_release_matches_committed_notebooks(tmp_path):
    written = release(out=tmp_path)
    assert {p.relative_to(tmp_path) for p in written} == {p.relative_to(course.RELEASES)
                                                           for p in course.RELEASES.glob("*/*.ipynb")}
    for path in written:
        committed = course.RELEASES / path.relative_to(tmp_path)
        assert json.loads(path.read_text()) == json.loads(committed.read_text()), (
            f"{committed} is out of date: run `make release` and commit the result")


def test_student_notebooks_have_no_solutions_hidden_tests_or_outputs():
    for path in course.RELEASES.glob("*/*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        text = path.read_text()
        assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text and "rubric" not in text.lower()
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        assert "raise NotImplementedError()" in text


def test_masters_committed_without_outputs():
    for path in course.SOLUTIONS.glob("*/*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")


def _names_a_test_reads(source: str) -> set[str]:
    """Globals a test cell reads (and names it hands to the grader's checks), without its own private names."""
    import ast
    import builtins

    tree = ast.parse(source)
    own = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    own |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in n.args}
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    saved = {a.value for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "save"
             for a in n.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return {n for n in read - own if not n.startswith("_") and not hasattr(builtins, n)} | saved


def _names_locked_cells_define(nb) -> set[str]:
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    names = set()
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and not meta.get("solution") and not meta.get("grade"):
            tree = ast.parse(TransformerManager().transform_cell(cell.source))
            names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            names |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree)
                      if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    return names


@pytest.mark.parametrize("assignment", course.assignments())
def test_the_text_names_every_variable_a_test_reads(assignment):
    nb = nbformat.read(examples.notebook_path(assignment, solution=False), as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    given = _names_locked_cells_define(nb)
    unnamed = {(c.get("id"), name) for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
               for name in _names_a_test_reads(c.source) if name not in given and f"`{name}" not in text}
    assert not unnamed, f"the text never names what these tests read: {sorted(unnamed)}"


GIVE_AWAYS = re.compile(r"\*\*Give-aways\*\*[^:]*:(.*)")


def _grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def test_no_released_cell_says_a_written_answer_before_its_question():
    """Each written question's rubric names its give-aways (the facts that are the answer); no text, hint, expected
    output or optional cell the students get before the question may say one."""
    questions = 0
    for master_path in course.SOLUTIONS.glob("*/*.ipynb"):
        released = nbformat.read(course.RELEASES / master_path.relative_to(course.SOLUTIONS), as_version=4)
        for cell in nbformat.read(master_path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if not (cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade")):
                continue
            questions += 1
            line = GIVE_AWAYS.search(cell.source)
            assert line, f"{master_path.name} {meta['grade_id']}: the rubric names no give-aways"
            keys = re.findall(r"`([^`]+)`", line.group(1))
            before = [c for c in released.cells[:[_grade_id(c) for c in released.cells].index(meta["grade_id"])]]
            said = [(_grade_id(c), key) for c in before for key in keys if key.lower() in c.source.lower()]
            assert keys and not said, f"{master_path.name}: said before {meta['grade_id']} is asked: {said}"
    assert questions >= 4


def test_an_optional_cell_is_the_students_to_write():
    """A "try it" cell (run only where the budget allows) gives no code of a graded step: the student writes it."""
    optional = [c for path in course.RELEASES.glob("*/*.ipynb") for c in nbformat.read(path, as_version=4).cells
                if c.cell_type == "code" and "run_optional" in c.source]
    assert optional
    for cell in optional:
        assert cell.metadata["nbgrader"].get("solution") and course.CODE_STUB.splitlines()[0] in cell.source, cell.source
        code = [line for line in cell.source.splitlines() if line.strip() and not line.strip().startswith("#")]
        assert code == ["if BUDGET.run_optional:", "    raise NotImplementedError()"], code


def test_release_stops_on_an_autograded_cell_without_a_grader_check(tmp_path):
    from tests.grading import copy_of_the_kit, run_cli

    kit = copy_of_the_kit(tmp_path / "kit")
    master = kit / "solutions" / "a1_noise_mlp" / "noise_mlp.ipynb"
    nb = nbformat.read(master, as_version=4)
    cell = nbformat.v4.new_code_cell("assert len(SCALES) == 5")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                 "grade_id": "test_scales", "schema_version": 3}
    nb.cells.append(cell)
    nbformat.write(nb, master)
    released = run_cli("release", repo=kit)
    assert released.returncode == 2, released.stderr
    assert "solutions/a1_noise_mlp/noise_mlp.ipynb: the autograded cell 'test_scales' has no grader check" in (
        released.stderr)
    assert "autograder/verify/a1_noise_mlp.py" in released.stderr and "Traceback" not in released.stderr
    assert not list((kit / "notebooks").glob("*/*.ipynb")) or nbformat.read(
        kit / "notebooks" / "a1_noise_mlp" / "noise_mlp.ipynb", as_version=4).cells[-1].source != cell.source
    graded = run_cli("grade", str(tmp_path / "no-submissions"), "--out", str(tmp_path / "out"), repo=kit)
    assert graded.returncode == 2 and "'test_scales' has no grader check" in graded.stderr


def test_the_template_gradebook_is_generated_once_then_copied_from_the_cache(tmp_path, monkeypatch):
    """Generating it takes nbgrader seconds per `grade` run; the cached copy is named by the masters' contents, and a
    damaged or unwritable cache is passed over, never a failed run."""
    import shutil

    from autograder import gradebook

    monkeypatch.setenv(gradebook.CACHE_VARIABLE, str(tmp_path / "cache"))
    assignments = course.assignments()
    first = gradebook.prepare_template(tmp_path / "one", assignments)
    [cached] = (tmp_path / "cache" / "gradebooks").glob("*.db")
    assert cached.read_bytes() == first.read_bytes()

    generated = []

    def generate(assignment, staging, *, db_url):  # as nbgrader would, without its seconds
        generated.append(assignment)
        shutil.copy(first, db_url.removeprefix("sqlite:///"))

    monkeypatch.setattr(gradebook, "generate", generate)
    assert gradebook.prepare_template(tmp_path / "two", assignments).read_bytes() == first.read_bytes()
    assert generated == []
    cached.write_bytes(b"half a gradebook")
    assert gradebook.prepare_template(tmp_path / "three", assignments).is_file() and generated == assignments
    assert cached.read_bytes() == first.read_bytes()  # replaced by the good one
    monkeypatch.setenv(gradebook.CACHE_VARIABLE, str(cached))  # a file: nothing can be written under it
    assert gradebook.prepare_template(tmp_path / "four", assignments).is_file()

    copy = tmp_path / "solutions"
    shutil.copytree(course.SOLUTIONS, copy)
    key = gradebook.template_key(assignments)
    monkeypatch.setattr(course, "SOLUTIONS", copy)
    assert gradebook.template_key(assignments) == key
    notebook = next((copy / assignments[0]).glob("*.ipynb"))
    notebook.write_text(notebook.read_text().replace("Dense", "Dense "))
    assert gradebook.template_key(assignments) != key
