"""The grading pipeline end to end through the CLI: bad and hostile submissions, parallel, resume, outputs."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder import course, examples
from tests.grading import (autograded_notebook_text, cell_outputs, grades, passed_tests, result, rows_of, run_cli,
                           three_of_a1)

pytestmark = pytest.mark.slow
A1 = "a1_noise_mlp"
NOTEBOOK = "noise_mlp.ipynb"


# Hostile code whose tests look at the points of the rest of the notebook goes into the master; the rest goes into
# the released notebook, which is graded in a third of the time (what is checked is only what the code did).
ON_THE_MASTER = ("loops_forever", "eats_memory", "kills_kernel", "patches_checks", "burns_cpu")


def hostile(kind: str) -> nbformat.NotebookNode:
    code = examples.HOSTILE[kind].format(repo=course.REPO)
    base = examples.solved(A1) if kind in ON_THE_MASTER else examples.released(A1)
    return examples.add_code(base, "add_noise", code)


@pytest.fixture(scope="module")
def robustness(tmp_path_factory):
    root = tmp_path_factory.mktemp("robustness")
    subs, out = root / "submissions", root / "out"
    examples.write_submission(subs, "complete", A1, examples.solved(A1))
    for kind in ("loops_forever", "ignores_interrupt", "eats_memory", "starts_processes", "kills_kernel", "opens_socket",
                 "reads_solutions", "writes_outside", "prints_megabytes", "patches_checks", "fills_disk", "burns_cpu",
                 "outputs_of_every_kind"):
        examples.write_submission(subs, kind.replace("_", "-"), A1, hostile(kind))
    examples.write_submission(subs, "not-json", A1, b"\x00\x01 definitely not a notebook")
    (subs / "no-notebook" / A1).mkdir(parents=True)
    (subs / "no-notebook" / A1 / "answers.txt").write_text("I forgot the notebook")
    edited = examples.mutate(examples.released(A1), "add_noise", next(  # only this step written: no rerun for later ones
        m for m in examples.MUTATIONS if m.name == "shared_noise_vector").source)
    examples.mutate(edited, "test_add_noise", "pass  # tests removed")
    examples.write_submission(subs, "edits-tests", A1, edited)
    duplicated = examples.solved(A1)  # JupyterLab's "duplicate cell" copies nbgrader's metadata too
    for cell_id in ("add_noise", "test_add_noise"):
        index = next(i for i, c in enumerate(duplicated.cells) if c.metadata["nbgrader"].get("grade_id") == cell_id)
        duplicated.cells.insert(index + 1, nbformat.from_dict(json.loads(json.dumps(duplicated.cells[index]))))
        duplicated.cells[index + 1].id = f"copy-{index}"
    examples.write_submission(subs, "duplicates-cells", A1, duplicated)
    deleted = examples.released(A1)  # what is checked is only that the test is restored and graded
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_build_mlp"]
    examples.write_submission(subs, "deletes-tests", A1, deleted)
    late = examples.solved(A1)  # every graded step done, then a cell that floods the output
    late.cells.append(nbformat.v4.new_code_cell(examples.HOSTILE["floods_output"]))
    examples.write_submission(subs, "floods-output", A1, late)
    completed = run_cli("grade", str(subs), "--out", str(out), "--workers", "2", "--cell-timeout", "20",
                        "--memory-gb", "8", "--scratch-gb", "0.5")  # the disk filler hits 0.5 GiB in ~1 s
    assert completed.returncode == 0, completed.stderr[-3000:]
    return out, completed


def status(out, student):
    return grades(out)[(student, A1)]["status"]


def auto(out, student):
    return float(grades(out)[(student, A1)]["auto_score"])


def test_every_student_is_graded(robustness):
    out, _ = robustness
    assert len(grades(out)) == 20
    assert status(out, "complete") == "graded" and auto(out, "complete") == 15


def test_infinite_loop_times_out_and_keeps_its_points(robustness):
    out, _ = robustness
    assert "cell time limit in noise_mlp cell" in status(out, "loops-forever")
    assert auto(out, "loops-forever") == 15  # add_noise was defined before the loop


def test_a_cell_that_ignores_the_interrupt_is_a_time_limit_not_a_crash(robustness):
    out, _ = robustness
    assert status(out, "ignores-interrupt").startswith("cell time limit in noise_mlp cell")
    assert "ignored the interrupt" in status(out, "ignores-interrupt")
    assert [p.kind.value for p in result(out, "ignores-interrupt", A1).problems] == ["limit"]


def test_a_late_cell_that_floods_the_output_costs_that_cell_not_the_notebook(robustness):
    out, _ = robustness  # whether nbclient reads the flood's backlog in time or the kernel has to be stopped
    last = len(examples.solved(A1).cells) + 1  # the flood is a cell appended to the complete notebook
    assert status(out, "floods-output").startswith(f"cell time limit in noise_mlp cell {last}")
    assert auto(out, "floods-output") == 15
    assert (out / "feedback" / "floods-output" / A1 / "noise_mlp.html").stat().st_size < 5_000_000
    assert len(autograded_notebook_text(out, "floods-output", A1)) < 5_000_000


def test_memory_hog_hits_the_limit(robustness):
    out, _ = robustness
    assert "memory limit hit in noise_mlp cell" in status(out, "eats-memory")
    assert auto(out, "eats-memory") == 15


def test_a_process_bomb_hits_the_process_limit_and_leaves_nothing_behind(robustness):
    out, _ = robustness  # each process it starts is a `sleep 3599`: any still running escaped the sandbox
    assert status(out, "starts-processes").startswith("process limit hit in noise_mlp cell")
    assert [p.kind.value for p in result(out, "starts-processes", A1).problems] == ["limit"]
    assert not survivors("sleep 3599")
    assert status(out, "complete") == "graded"  # graded beside it, unharmed


def survivors(command: str) -> list[int]:
    """Processes on this machine (inside any sandbox or not) running exactly ``command``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().split(b"\0")[:-1] == command.encode().split():
                found.append(int(cmdline.parent.name))
        except OSError:  # ended while being read
            pass
    return found


def test_kernel_crash_is_reported(robustness):
    out, _ = robustness
    assert status(out, "kills-kernel").startswith("kernel died in noise_mlp cell")
    assert auto(out, "kills-kernel") == 0
    assert [p.kind.value for p in result(out, "kills-kernel", A1).problems] == ["student"]


def test_sandbox_blocks_network_and_files_from_inside_the_notebook(robustness):
    out, _ = robustness
    assert "Network is unreachable" in autograded_notebook_text(out, "opens-socket", A1)
    outputs = cell_outputs(out, "reads-solutions", A1, "add_noise")
    assert [o["ename"] for o in outputs if o["output_type"] == "error"] == ["FileNotFoundError"]
    assert not [o for o in outputs if o["output_type"] == "stream"]  # nothing of the master was printed
    text = autograded_notebook_text(out, "writes-outside", A1)
    assert "Read-only file system" in text or "Permission denied" in text
    assert not (course.REPO / "helpers" / "owned.txt").exists()


def test_filling_the_scratch_disk_hits_its_quota(robustness):
    out, _ = robustness
    assert "scratch disk quota hit" in status(out, "fills-disk")


def test_a_cpu_burner_beside_an_honest_submission_costs_it_nothing(robustness):
    out, _ = robustness  # "burns-cpu" sorts before "complete": the two are graded at the same time
    assert auto(out, "complete") == 15
    assert grades(out)[("complete", A1)]["status"] == "graded"


def test_megabytes_of_output_are_limited(robustness):
    out, _ = robustness
    assert status(out, "prints-megabytes") == "graded"
    assert len(autograded_notebook_text(out, "prints-megabytes", A1)) < 2_000_000


def test_every_kind_of_output_is_held_to_the_documented_limits(robustness):
    out, _ = robustness  # 40 MB image, JSON, metadata, 30 images of 1.9 MB, a 30 MB exception message
    assert status(out, "outputs-of-every-kind") == "graded"
    page = out / "feedback" / "outputs-of-every-kind" / A1 / "noise_mlp.html"
    assert page.stat().st_size < 11_000_000  # 10 MB of outputs, the page and the notebook's own text
    assert len(autograded_notebook_text(out, "outputs-of-every-kind", A1)) < 11_000_000
    outputs = cell_outputs(out, "outputs-of-every-kind", A1, "add_noise")
    assert outputs[-1]["output_type"] == "error" and outputs[-1]["ename"] == "ValueError"


def test_the_scan_notes_tampering_but_points_come_from_the_verifier(robustness):
    out, _ = robustness  # patched checks around a correct solution: the scan's note is advisory
    assert status(out, "patches-checks") == "graded"
    assert auto(out, "patches-checks") == 15
    assert any("check_noise_function" in f for f in result(out, "patches-checks", A1).flags)
    assert "check_noise_function" in grades(out)[("patches-checks", A1)]["scan_notes"]


def test_broken_and_missing_notebooks(robustness):
    out, _ = robustness
    assert status(out, "not-json") == f"invalid notebook {NOTEBOOK} (NotJSONError: not a readable notebook)"
    assert status(out, "no-notebook") == f"missing notebook {NOTEBOOK}"
    assert float(grades(out)[("no-notebook", A1)]["max_score"]) == course.max_scores(A1)[0]


def test_duplicated_cells_are_graded_not_refused(robustness):
    out, _ = robustness
    assert status(out, "duplicates-cells") == ("cell add_noise appears more than once: the copy was graded as an "
                                               "ordinary cell; cell test_add_noise appears more than once: the copy "
                                               "was graded as an ordinary cell")
    assert auto(out, "duplicates-cells") == 15


def test_edited_and_deleted_test_cells_are_restored(robustness):
    out, _ = robustness
    assert "test cell test_add_noise edited (restored)" in status(out, "edits-tests")
    assert passed_tests(out, "edits-tests", A1)["test_add_noise"] is False  # the restored test still catches it
    assert "test cell test_build_mlp deleted (restored)" in status(out, "deletes-tests")
    assert "test_build_mlp" in passed_tests(out, "deletes-tests", A1)


def test_feedback_has_results_but_no_hidden_tests(robustness):
    out, _ = robustness
    pages = list((out / "feedback").glob("*/*/*.html"))
    assert len(pages) >= 9
    for page in pages:
        text = page.read_text()
        assert "HIDDEN TESTS" not in text and "_recomputed" not in text and "_acc_clean" not in text
    edited = (out / "feedback" / "edits-tests" / A1 / "noise_mlp.html").read_text()
    assert "noise is identical for images 0 and 1" in edited
    with zipfile.ZipFile(out / "feedback-zips" / "edits-tests.zip") as archive:  # one zip per student to hand back
        assert archive.namelist() == [f"{A1}/noise_mlp.html"]
        assert "noise is identical for images 0 and 1" in archive.read(f"{A1}/noise_mlp.html").decode()


def test_gradebook_and_report(robustness):
    out, completed = robustness
    count = len(grades(out))
    assert f"[{count}/{count}]" in completed.stdout
    exported = run_cli("export", "--out", str(out))
    assert exported.returncode == 0 and f"{count} rows" in exported.stdout
    assert (out / "export.csv").read_text().count("\n") == count + 1
    report = (out / "report" / "index.html").read_text()
    for figure in ("scores.png", "pass_rates.png", "grading_time.png", "failures.png"):
        assert (out / "report" / figure).stat().st_size > 5000 and figure in report


def class_submissions(folder):
    """Three of assignment 1, graded in parallel in the session's shared class."""
    three_of_a1(folder)


def test_serial_and_parallel_give_identical_grades_and_resume_works(shared_class, tmp_path):
    small_class, serial = three_of_a1(tmp_path / "submissions"), tmp_path / "serial"
    assert run_cli("grade", str(small_class), "--out", str(serial), "--workers", "1").returncode == 0
    assert rows_of(serial, small_class) == rows_of(shared_class.out, small_class)  # three workers there
    # an interrupted run: one student's finished result is lost; only that one is graded again
    (serial / "work" / "jobs" / f"wrong-width__{A1}" / "result.json").unlink()
    again = run_cli("grade", str(small_class), "--out", str(serial), "--workers", "2")
    assert "resuming: 2 submission(s) already graded" in again.stdout and "[1/1] wrong-width/" in again.stdout
    assert rows_of(serial, small_class) == rows_of(shared_class.out, small_class)


def test_collect_takes_flat_lms_files_and_zips(tmp_path):
    flat = tmp_path / "lms"
    flat.mkdir()
    shutil.copy(examples.notebook_path(A1), flat / f"alice_{NOTEBOOK}")
    shutil.copy(examples.notebook_path(A1), flat / "readme.ipynb")
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(examples.notebook_path(A1), f"bob/{A1}/{NOTEBOOK}")
    dest = tmp_path / "submissions"
    first = run_cli("collect", str(flat), str(dest))
    second = run_cli("collect", str(archive), str(dest))
    assert first.returncode == second.returncode == 0
    assert (dest / "alice" / A1 / NOTEBOOK).is_file() and (dest / "bob" / A1 / NOTEBOOK).is_file()
    assert "rejected   readme.ipynb  (not one of this course's notebooks" in first.stdout


def test_cli_reports_unusable_input_clearly(tmp_path):
    completed = run_cli("grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out"))
    assert completed.returncode == 2 and "is not a folder of submissions" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert run_cli("report", "--out", str(tmp_path / "empty")).returncode == 2


def test_default_workers_use_every_cpu_that_memory_allows(monkeypatch):
    import os

    from autograder.runners import local

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096}.get(name, 64 * 2**30 // 4096))
    assert local.default_workers() == 4
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096}.get(name, 7 * 2**30 // 4096))
    assert local.default_workers() == 7 * 2**30 // local.RESIDENT_BYTES_PER_NOTEBOOK
    monkeypatch.setattr(os, "sysconf", lambda name: {"SC_PAGE_SIZE": 4096}.get(name, 2**20 // 4096))
    assert local.default_workers() == 1
