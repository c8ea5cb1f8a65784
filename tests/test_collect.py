"""`collect` accounts for every file of a messy LMS download: collected, superseded, or rejected with a reason."""

from __future__ import annotations

import csv
import os
import shutil
import zipfile

from autograder import examples
from autograder.submissions import REPORT_NAME, Outcome, collect, normalise_id

A1, A2 = "a1_noise_mlp", "a2_depth_bn_dropout"
NOTEBOOKS = {A1: ["noise_mlp"], A2: ["depth_bn_dropout"], "a3_cifar_cnn": ["cifar_cnn"]}


def _messy_download(root):
    """What Canvas, Moodle, a browser and a student's laptop leave in one folder."""
    a1, a2 = examples.notebook_path(A1), examples.notebook_path(A2)
    files = {
        "lovelaceada_12_345_noise_mlp.ipynb": a1,  # Canvas: name_userid_submissionid_file
        "lovelaceada_LATE_12_346_noise_mlp-1.ipynb": a1,  # Canvas: a later, late resubmission
        "Grace Hopper_77_assignsubmission_file_/noise_mlp.ipynb": a1,  # Moodle: one folder per student
        "Alan Turing - Noise MLP (1).ipynb": a1,  # spaces, case and a browser's copy suffix
        "j.doe_noise_mlp.ipynb": a1,  # a dot in the id
        "bob/a2_depth_bn_dropout/depth_bn_dropout.ipynb": a2,  # already nested
        "noise_mlp.ipynb": a1,  # whose?
        "alice_homework.ipynb": a1,  # not a notebook of this course
        "readme.txt": None,
        ".ipynb_checkpoints/x_noise_mlp-checkpoint.ipynb": a1,
        "__MACOSX/._j.doe_noise_mlp.ipynb": None,
    }
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, path) if source else path.write_text("not a notebook")
    os.symlink(a1, root / "eve_noise_mlp.ipynb")
    old = (root / "lovelaceada_12_345_noise_mlp.ipynb")
    os.utime(old, (old.stat().st_mtime - 3600,) * 2)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink())


def test_every_file_is_accounted_for(tmp_path):
    inputs = _messy_download(tmp_path / "download")
    entries = collect(tmp_path / "download", tmp_path / "subs", NOTEBOOKS)
    assert sorted(e.source for e in entries) == inputs  # nothing dropped, nothing counted twice
    by_source = {e.source: e for e in entries}
    collected = {(e.student, e.assignment) for e in entries if e.outcome is Outcome.COLLECTED}
    assert collected == {("lovelaceada", A1), ("Grace_Hopper", A1), ("Alan_Turing", A1), ("j.doe", A1), ("bob", A2)}
    assert by_source["lovelaceada_12_345_noise_mlp.ipynb"].outcome is Outcome.SUPERSEDED
    assert "lovelaceada_LATE_12_346_noise_mlp-1.ipynb was collected" in by_source[
        "lovelaceada_12_345_noise_mlp.ipynb"].reason
    rejected = {e.source: e.reason for e in entries if e.outcome is Outcome.REJECTED}
    assert "cannot tell whose notebook" in rejected["noise_mlp.ipynb"]
    assert "not one of this course's notebooks" in rejected["alice_homework.ipynb"]
    assert "not a notebook" in rejected["readme.txt"] and "checkpoint" in rejected[
        ".ipynb_checkpoints/x_noise_mlp-checkpoint.ipynb"]
    assert "symbolic link" in rejected["eve_noise_mlp.ipynb"]
    for student, assignment in collected:
        assert (tmp_path / "subs" / student / assignment).is_dir()
    with (tmp_path / "subs" / REPORT_NAME).open() as handle:
        assert sorted(r["source"] for r in csv.DictReader(handle)) == inputs


def test_a_zip_keeps_the_newest_attempt_by_its_recorded_time(tmp_path):
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        newer = zipfile.ZipInfo("ada_noise_mlp.ipynb", date_time=(2026, 5, 2, 10, 0, 0))
        older = zipfile.ZipInfo("sub/ada_noise_mlp.ipynb", date_time=(2026, 5, 1, 10, 0, 0))
        zf.writestr(older, examples.notebook_path(A1, solution=False).read_text())
        zf.writestr(newer, examples.notebook_path(A1).read_text())
    entries = collect(archive, tmp_path / "subs", NOTEBOOKS)
    assert [(e.source, e.outcome) for e in entries] == [("ada_noise_mlp.ipynb", Outcome.COLLECTED),
                                                        ("sub/ada_noise_mlp.ipynb", Outcome.SUPERSEDED)]
    assert "BEGIN SOLUTION" in (tmp_path / "subs" / "ada" / A1 / "noise_mlp.ipynb").read_text()


def test_student_ids_are_normalised_not_dropped():
    assert normalise_id("Ada Lovelace") == "Ada_Lovelace"
    assert normalise_id(" .hidden name. ") == "hidden_name"
    assert normalise_id("Émile Zola") == "Emile_Zola"
    assert normalise_id("???") == ""
