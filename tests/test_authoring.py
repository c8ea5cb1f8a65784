"""docs/authoring.md's example, applied to a copy of the kit: release refuses the step until its grader check
exists, then the real grader rejects the example's mistake and accepts its variant, agreeing with the notebook."""

from __future__ import annotations

import re

import nbformat
import pytest

from autograder import examples
from tests.conftest import REPO
from tests.grading import copy_of_the_kit, passed_tests, rows_of, run_cli

pytestmark = pytest.mark.slow
A1 = "a1_noise_mlp"


def example_blocks() -> dict[str, str]:
    """The code blocks of docs/authoring.md, by the name in the ``<!-- example: NAME -->`` line above each."""
    text = (REPO / "docs" / "authoring.md").read_text()
    return dict(re.findall(r"<!-- example: ([\w-]+) -->\n```python\n(.*?)```", text, re.S))


def _cell(kind: str, source: str, grade_id: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source.strip("\n"))
    test = kind == "test"
    cell.metadata["nbgrader"] = {"grade": test, "solution": not test, "locked": test, "grade_id": grade_id,
                                 "schema_version": 3, "task": False, **({"points": 1} if test else {})}
    return cell


def _insert_after(nb, grade_id: str, cells) -> None:
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    nb.cells[index + 1:index + 1] = cells


def test_the_authoring_example_adds_a_step_that_the_grader_checks(tmp_path):
    blocks = example_blocks()
    assert set(blocks) == {"solution-cell", "test-cell", "grader-check", "mistake", "variant"}
    kit = copy_of_the_kit(tmp_path / "kit")
    master_path = kit / "solutions" / A1 / "noise_mlp.ipynb"
    master = nbformat.read(master_path, as_version=4)
    _insert_after(master, "test_add_noise", [
        nbformat.v4.new_markdown_cell("## Standardizing images\nEach image on its own scale: mean 0, std 1."),
        _cell("solution", blocks["solution-cell"], "standardize"),
        _cell("test", blocks["test-cell"], "test_standardize")])
    nbformat.write(master, master_path)

    refused = run_cli("release", repo=kit)
    assert refused.returncode == 2 and "the autograded cell 'test_standardize' has no grader check" in refused.stderr

    with (kit / "autograder" / "verify" / f"{A1}.py").open("a") as module:
        module.write("\n\n" + blocks["grader-check"])
    with (kit / "autograder" / "examples.py").open("a") as module:
        module.write(f"\n\nMUTATIONS += (\n{blocks['mistake']},)\nVARIANTS += (\n{blocks['variant']},)\n")
    released = run_cli("release", repo=kit)
    assert released.returncode == 0, released.stderr
    student = nbformat.read(kit / "notebooks" / A1 / "noise_mlp.ipynb", as_version=4)
    stub = next(c for c in student.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "standardize")
    assert "raise NotImplementedError()" in stub.source and "images.std(axis=axes" not in stub.source

    namespace = {"Mutation": examples.Mutation, "Variant": examples.Variant}
    mistake, variant = (eval(blocks[name], namespace) for name in ("mistake", "variant"))
    add_noise = next(c.source for c in examples.solved(A1).cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") == "add_noise")
    subs = tmp_path / "subs"
    for name, source in (("mistake", mistake.source), ("variant", dict(variant.sources)["standardize"])):
        nb = examples.mutate(examples.mutate(student, "add_noise", add_noise), "standardize", source)
        examples.write_submission(subs, name, A1, nb)
    graded = run_cli("grade", str(subs), "--out", str(tmp_path / "out"), "--workers", "2", repo=kit)
    assert graded.returncode == 0, graded.stderr[-3000:]
    for name, passes in (("mistake", False), ("variant", True)):
        assert passed_tests(tmp_path / "out", name, A1)["test_standardize"] is passes, name
        assert passed_tests(tmp_path / "out", name, A1)["test_add_noise"] is True, name
    rows = rows_of(tmp_path / "out", subs)
    assert all(not row["review"] for row in rows.values())  # the notebook's own test agreed with the grader
