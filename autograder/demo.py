"""`make demo`: release the notebooks, build a small example class, grade it in the sandbox, report."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import nbformat

from autograder import course, examples
from autograder.pipeline import ClassRun, grade_class
from autograder.release import release
from autograder.runners.local import LocalRunner
from autograder.settings import data_dir_or_keras_mirror, make_settings


def build_class(root: Path) -> list[str]:
    """Example submissions; returns one line describing each student."""
    shutil.rmtree(root, ignore_errors=True)
    described = []
    for assignment in course.assignments():
        examples.write_submission(root, "ada", assignment, examples.solved(assignment))
    described.append("ada: complete solutions of all three assignments")
    examples.write_submission(root, "ben", "a1_noise_mlp",
                              nbformat.read(examples.notebook_path("a1_noise_mlp", solution=False), as_version=4))
    described.append("ben: hands in the blank a1 notebook")
    for student, name in (("cleo", "shared_noise_vector"), ("dan", "noise_on_train_only"),
                          ("eli", "batchnorm_after_dropout")):
        mutation = next(m for m in examples.MUTATIONS if m.name == name)
        nb = examples.mutate(examples.solved(mutation.assignment), mutation.cell, mutation.source)
        examples.write_submission(root, student, mutation.assignment, nb)
        described.append(f"{student}: {mutation.assignment} with a typical mistake ({name})")
    hostile = examples.add_code(examples.solved("a1_noise_mlp"), "add_noise",
                                examples.HOSTILE["patches_checks"] + "\n" +
                                examples.HOSTILE["reads_solutions"].format(repo=course.REPO))
    examples.write_submission(root, "mallory", "a1_noise_mlp", hostile)
    described.append("mallory: a1 that patches the checks and tries to read the solutions")
    examples.write_submission(root, "fay", "a2_depth_bn_dropout", b'{"cells": [ this is not json')
    described.append("fay: a2 file that is not valid JSON")
    return described


def run_demo(out: Path, *, workers: int = 2, budget: str = "grade") -> ClassRun:
    """Run the whole instructor workflow on the example class; returns the graded run."""
    start = time.monotonic()
    data_dir = data_dir_or_keras_mirror(out / "datasets", lambda line: print(f"0/4 {line} ..."))
    settings = make_settings(budget=budget, data_dir=data_dir)
    print("1/4 releasing student notebooks from solutions/ ...")
    for path in release():
        print(f"    {path.relative_to(course.REPO)}")
    print("2/4 building an example class ...")
    for line in build_class(out / "submissions"):
        print(f"    {line}")
    print(f"3/4 grading in the sandbox with {workers} workers at the '{budget}' budget ...")
    run = grade_class(out / "submissions", out / "graded", settings, runner=LocalRunner(workers), resume=False)
    print(f"4/4 done in {time.monotonic() - start:.0f} s")
    return run
