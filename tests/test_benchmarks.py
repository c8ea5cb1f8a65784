"""The benchmarks' reports: the per-phase table of grading (`make bench`, `benchmarks.phases`)."""

import os
from pathlib import Path

import numpy as np
import pytest

from autograder.results import Result
from benchmarks.bench import markdown
from benchmarks.phases import cpu_table, kernel_cpu, phase_table


def _result(assignment: str, phases: dict[str, float]) -> Result:
    return Result("s0", assignment, 10, 10, seconds=sum(phases.values()) + 1.0, phases=phases)


def test_phase_table_has_a_row_per_phase_a_column_per_notebook_and_totals():
    table = phase_table([_result("a1", {"kernel start": 0.5, "training cells": 10.0}),
                         _result("a2", {"kernel start": 0.7, "verification (probe and checks)": 4.0})])
    assert table[0] == "| phase | a1 | a2 | all |"
    assert "| kernel start | 0.5 | 0.7 | 1.2 |" in table
    assert "| verification (probe and checks) | 0.0 | 4.0 | 4.0 |" in table
    assert table[-1] == "| **notebook total** | **11.5** | **5.7** | **17.2** |"


def test_a_kernels_cpu_seconds_go_to_the_phase_of_the_cell_that_spent_them():
    import nbformat

    setup = "import time"
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(setup),
        nbformat.v4.new_code_cell("end = time.process_time() + 0.6\nwhile time.process_time() < end:\n    pass",
                                  metadata={"nnlab": {"training": True}}),
        nbformat.v4.new_code_cell("time.sleep(0.6)")])
    seconds = kernel_cpu(nb, [setup], dict(os.environ))
    assert 0.55 < seconds["training cells"] < 1.5
    assert seconds["other cells"] < 0.3 and seconds["imports and data loading"] < 0.3 and seconds["kernel start"] > 0
    table = cpu_table({"a1": {"kernel start": 0.5, "training cells": 10.0}, "a2": {"kernel start": 0.7}})
    assert table[0] == "| phase (kernel CPU s) | a1 | a2 | all |"
    assert "| training cells | 10.0 | 0.0 | 10.0 |" in table and table[-1].startswith("| **kernel total** | **10.5** | **0.7**")


def test_make_bench_reports_the_phases_of_the_one_submission_run():
    run = {"wall_s": 60.0, "cpu_s": 50.0, "submissions": 1, "submissions_per_min": 1.0, "per_notebook_s": {"a1": 11.5}}
    report = {"grading": {"one_submission": run, "class_1_worker": run, "class_2_workers": run,
                          "speedup_2_workers": 1.0,
                          "phases": {"a1": _result("a1", {"kernel start": 0.5, "training cells": 10.0}).to_dict()}}}
    report["grading"]["class_2_workers"] = {**run, "cpu_s": 90.0, "submissions": 2, "submissions_per_min": 2.0}
    report["grading"]["class_1_worker"] = {**run, "cpu_s": None}  # no /proc/stat
    text = markdown(report)
    assert "| training cells | 10.0 | 10.0 |" in text and "seconds per phase" in text
    assert "| 2 submissions, 2 workers | 60 | 90 | 45 | 2.00 |" in text
    assert "| 1 submission, 1 worker | 60 | — | — | 1.00 |" in text


def test_busy_cpu_seconds_adds_up_every_busy_column_of_all_cores(tmp_path):
    import os

    from benchmarks.bench import busy_cpu_seconds

    stat = tmp_path / "stat"
    # user nice system idle iowait irq softirq steal guest guest_nice, in clock ticks
    stat.write_text("cpu  1000 20 300 99999 77 5 6 7 0 0\ncpu0 500 10 150 50000 40 2 3 3 0 0\n")
    assert busy_cpu_seconds(stat) == pytest.approx((1000 + 20 + 300 + 5 + 6 + 7) / os.sysconf("SC_CLK_TCK"))
    assert busy_cpu_seconds(tmp_path / "missing") is None


def test_keras_own_fast_fit_trains_and_times_each_epoch():
    import numpy as np

    from benchmarks.bench import keras_fit
    from reference.models import mlp

    rng = np.random.default_rng(0)
    x = rng.random((512, 784), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[(x[:, :10].argmax(axis=1))]  # a learnable rule
    history, times = keras_fit(lambda: mlp((32,)), x, y, x[:128], y[:128], batch_size=64, epochs=3)
    assert len(times) == 3 and all(t > 0 for t in times)
    assert history["accuracy"][-1] > history["accuracy"][0]


def test_make_bench_compares_every_training_path_with_the_kit():
    row = {"model": "mlp", "samples": 100, "batch_size": 128, "kit_samples_per_s": 50.0, "speedup": 2.0,
           "kit_fraction_of_peak": 0.5, "s_per_epoch": {"reference": 4.0, "kit": 2.0, "keras_fit": 2.2}}
    text = markdown({"training": {"matmul_peak_gflops": 200, "repeats": 3, "epochs_per_repeat": 2,
                                  "paths": ["reference", "kit", "keras_fit"], "models": [row]}})
    assert "| model | samples | reference | kit | keras_fit |" in text
    assert text.rstrip().endswith("| mlp | 100 | 4.00 | 2.00 | 2.20 | 50 | 2.00x | 50% | 1.10 |")


def test_bfloat16_is_worth_adopting_only_where_faster_and_within_the_accuracy_limit():
    from benchmarks.precision import Comparison

    def compare(bf16_accuracy, seconds_bf16):
        return Comparison("a1_clean", [0.984, 0.983, 0.985], [bf16_accuracy] * 3, 2.0, seconds_bf16, tolerance=0.5)

    assert compare(0.982, 1.5).worth_adopting  # 0.2 pt lost, faster
    assert not compare(0.975, 1.5).worth_adopting  # 0.9 pt lost
    assert not compare(0.984, 2.2).worth_adopting  # slower
    assert compare(0.975, 1.5).loss_points == pytest.approx(0.9)
    assert not Comparison("a3_base", [0.74], [0.74], 2.0, 1.5, tolerance=1.0).worth_adopting  # one seed is not enough


def test_an_experiment_is_adopted_where_a_comparison_says_so_and_none_over_enough_seeds_says_otherwise():
    from benchmarks.precision import Comparison, adopted

    def run(key, bf16_accuracy, seeds=3, seconds_bf16=20.0, tolerance=1.0):
        return Comparison(key, [0.74] * seeds, [bf16_accuracy] * seeds, 30.0, seconds_bf16, tolerance=tolerance)

    alone = [run("a1_clean", 0.74, tolerance=0.5), run("a3_base", 0.737)]
    in_reproduction = [run("a3_base", 0.74, seeds=1), run("a3_extra", 0.725), run("a3_bn", 0.745),
                       run("a2_2_plain", 0.7365, tolerance=0.5), run("a2_3_plain", 0.7395, tolerance=0.5)]
    # the extra block lost 1.5 points; the 2-hidden MLP 0.35 points, within MNIST's 0.5; the 3-hidden one 0.05
    assert adopted(alone, in_reproduction) == {"a1_clean", "a3_base", "a3_bn", "a2_2_plain", "a2_3_plain"}
    assert adopted(alone, [run("a3_base", 0.72)]) == {"a1_clean"}  # 2 points lost over 3 seeds beside another run
    assert adopted(alone, [run("a1_clean", 0.74, seconds_bf16=31.0, tolerance=0.5)]) == {"a3_base"}  # slower there
    assert adopted([run("a2_2_plain", 0.734, tolerance=0.5)], []) == set()  # 0.6 points is over MNIST's limit


def test_the_reproduction_uses_bfloat16_exactly_where_its_cached_runs_show_it_worth_adopting():
    from benchmarks import precision, reproduce

    assert reproduce.BFLOAT16 == precision.adopted(*precision.judged())


def test_the_reproductions_cnns_are_compared_on_the_seeds_run_under_both_policies(tmp_path, monkeypatch):
    import json

    from benchmarks import precision, reproduce
    from helpers.training import RunRecord

    monkeypatch.setattr(reproduce, "CACHE", tmp_path / "reproduction")
    for policy, seed, accuracy, seconds in (("float32", 0, 0.734, 600.0), ("float32", 1, 0.741, 300.0),
                                            ("mixed_bfloat16", 0, 0.730, 400.0)):
        reproduce.cache(policy).mkdir(exist_ok=True)
        record = RunRecord(name="a3_base", history={}, train_accuracy=0.9, val_accuracy=accuracy, train_loss=0.3,
                           val_loss=1.0, epochs=20, batch_size=64, train_samples=50000, wall_time_s=seconds,
                           budget="full", seed=seed)
        (reproduce.cache(policy) / f"a3_base__seed{seed}.json").write_text(json.dumps(record.to_dict()))
    [matched] = precision.comparisons({"a3_base": 1.0}, (None,), same_seeds=True)
    assert matched.float32 == [0.734] and matched.speed_up == pytest.approx(1.5)  # seed 1 has no bfloat16 run
    [everything] = precision.comparisons({"a3_base": 1.0}, (None,))
    assert everything.float32 == [0.734, 0.741] and everything.speed_up == pytest.approx(0.75)


def test_a_bfloat16_run_builds_its_model_under_the_policy_and_restores_float32():
    import keras

    from benchmarks.bench import kit_fit_bfloat16

    built = []

    def build():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
        built.append(model)
        return model

    x, y = np.eye(4, dtype="float32")[[0, 1, 2, 3] * 8], np.eye(3, dtype="float32")[[0, 1, 2, 0] * 8]
    history, times = kit_fit_bfloat16(build, x, y, x, y, batch_size=8, epochs=2)
    assert built[0].layers[0].compute_dtype == "bfloat16" and built[0].layers[0].kernel.dtype == "float32"
    assert keras.mixed_precision.global_policy().name == "float32" and len(times) == 2


def test_reproduction_runs_of_another_policy_are_cached_apart_and_the_policy_is_restored():
    import keras

    from benchmarks import reproduce

    assert reproduce.cache() == reproduce.CACHE
    assert reproduce.cache("mixed_bfloat16").name == "reproduction-mixed_bfloat16"
    with reproduce.dtype_policy("mixed_bfloat16"):
        assert keras.layers.Dense(2).compute_dtype == "bfloat16"
    assert keras.mixed_precision.global_policy().name == "float32"


def test_phases_without_a_mirror_says_what_to_set(monkeypatch):
    from benchmarks import phases

    monkeypatch.delenv("NNLAB_DATA_DIR", raising=False)
    with pytest.raises(SystemExit, match="set NNLAB_DATA_DIR"):
        phases.main([])


def _report_threads(key: str, seed: int, precision: str, root) -> str:
    """Stands in for a training run in a reproduction job: says what the job's process was given."""
    import os

    return f"{key} {seed} {precision} {os.environ['TF_NUM_INTRAOP_THREADS']} {os.getpid()}"


def test_reproduction_runs_jobs_side_by_side_with_a_share_of_the_cores_each(tmp_path, monkeypatch, capsys):
    import json
    import os

    from benchmarks import reproduce

    monkeypatch.setattr(reproduce, "CACHE", tmp_path / "reproduction")
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    reproduce.run_all([("a", 0, "float32"), ("b", 1, "float32")], jobs=2, described="the test",
                      root=reproduce.CACHE, record_in=reproduce.CACHE, run=_report_threads)
    lines = [line.split() for line in capsys.readouterr().out.splitlines() if line.startswith(("a ", "b "))]
    assert sorted(line[:3] for line in lines) == [["a", "0", "float32"], ["b", "1", "float32"]]
    assert {line[3] for line in lines} == {str(max(1, os.cpu_count() // 2))}
    assert all(int(line[4]) != os.getpid() for line in lines)  # in the jobs' processes, not this one
    assert "TF_NUM_INTRAOP_THREADS" not in os.environ  # restored here
    assert json.loads((tmp_path / "reproduction" / "run.json").read_text())["runs"] == 2
    assert "ran 2 runs (2 under float32), 2 at a time" in " ".join(reproduce._last_run())


def _train_for_minutes(key: str, seed: int, precision: str, root) -> str:
    """Stands in for a long training run: leaves its pid in ``root`` and sleeps."""
    import os
    import time

    (root / f"{key}.pid").write_text(str(os.getpid()))
    time.sleep(900)  # longer than the test waits for the other job to start on a loaded machine
    return key


def _running(pid: int) -> bool:
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_killing_the_reproduction_ends_the_runs_its_jobs_are_training(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    script = ("import sys; from pathlib import Path; from benchmarks import reproduce; "
              "from tests.test_benchmarks import _train_for_minutes; root = Path(sys.argv[1]); "
              "reproduce.run_all([('a', 0, 'float32'), ('b', 0, 'float32')], jobs=2, described='the test', "
              "root=root, record_in=root, run=_train_for_minutes)")
    reproduction = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=Path(__file__).parents[1])
    try:
        deadline = time.monotonic() + 600  # the event, not a time: a loaded 2-core machine starts them slowly
        while (len([p for p in tmp_path.glob("*.pid") if p.read_text().strip()]) < 2 and time.monotonic() < deadline
               and reproduction.poll() is None):
            time.sleep(0.2)
        jobs = [int(p.read_text()) for p in tmp_path.glob("*.pid")]
        assert len(jobs) == 2, f"the jobs never started (the reproduction exited with {reproduction.poll()})"
    finally:
        reproduction.send_signal(signal.SIGKILL)  # no chance to stop its jobs itself
        reproduction.wait()
    deadline = time.monotonic() + 20
    while any(map(_running, jobs)) and time.monotonic() < deadline:
        time.sleep(0.2)
    still = [pid for pid in jobs if _running(pid)]
    for pid in still:
        os.kill(pid, signal.SIGKILL)
    assert not still, "jobs went on training after the reproduction was killed"


def test_the_reproduction_plan_has_three_mnist_seeds_one_cifar_seed_and_starts_with_the_cnns(tmp_path, monkeypatch):
    from benchmarks import reproduce

    monkeypatch.setattr(reproduce, "CACHE", tmp_path / "reproduction")
    (tmp_path / "reproduction").mkdir()
    (tmp_path / "reproduction" / "a1_clean__seed1.json").write_text("{}")
    todo = reproduce.planned([0, 1, 2], [0], None, "float32")
    assert todo[:3] == [("a3_base", 0, "float32"), ("a3_extra", 0, "float32"), ("a3_bn", 0, "float32")]
    assert ("a1_clean", 1, "float32") not in todo and ("a1_clean", 2, "float32") in todo
    assert not any(key == "a3_base" and seed == 1 for key, seed, _ in todo)
    assert len(todo) == 3 + 21 * 3 - 1


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_gives_the_chosen_cnns_bfloat16_only_on_a_cpu_that_has_it(tmp_path, monkeypatch, native):
    from benchmarks import reproduce

    monkeypatch.setattr(reproduce, "CACHE", tmp_path / "reproduction")
    monkeypatch.setattr(reproduce, "native_bfloat16", lambda: native)
    (tmp_path / "reproduction").mkdir()
    (tmp_path / "reproduction" / "a3_base__seed0.json").write_text("{}")  # a float32 run does not stand in
    monkeypatch.setattr(reproduce, "BFLOAT16", frozenset({"a3_base", "a3_bn"}))
    todo = reproduce.planned([0], [0], "a1_clean,a3_", "auto")
    cnn = "mixed_bfloat16" if native else "float32"
    expected = [("a3_extra", 0, "float32"), ("a3_bn", 0, cnn), ("a1_clean", 0, "float32")]
    assert todo == ([("a3_base", 0, cnn)] if native else []) + expected
    assert {r[2] for r in reproduce.planned([0], [0], "a1_clean,a3_", "float32")} == {"float32"}


def test_native_bfloat16_is_read_from_the_cpu_flags(tmp_path):
    from benchmarks.bench import native_bfloat16

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16\n")
    assert native_bfloat16(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\nbugs\t\t: avx512_bf16_emulated\n")
    assert not native_bfloat16(cpuinfo)
    assert not native_bfloat16(tmp_path / "missing")


def test_the_report_has_a_row_per_policy_an_experiment_ran_with_and_says_which(tmp_path, monkeypatch):
    import json

    from benchmarks import reproduce
    from helpers.training import RunRecord

    monkeypatch.setattr(reproduce, "CACHE", tmp_path / "reproduction")
    for key, policy, accuracy in (("a3_base", "float32", 0.7366), ("a3_base", "mixed_bfloat16", 0.7320),
                                  ("a1_noisy", "mixed_bfloat16", 0.9301)):
        reproduce.cache(policy).mkdir(exist_ok=True)
        record = RunRecord(name=key, history={"val_accuracy": [0.7, accuracy], "val_loss": [0.9, 1.0]},
                           train_accuracy=0.9, val_accuracy=accuracy, train_loss=0.3, val_loss=1.0, epochs=2,
                           batch_size=64, train_samples=50000, wall_time_s=20.0, budget="full", seed=0)
        (reproduce.cache(policy) / f"{key}__seed0.json").write_text(json.dumps(record.to_dict()))
    rows = {e.key: reproduce._rows(e) for e in reproduce.experiments()}
    assert len(rows["a3_base"]) == 2 and "73.66%" in rows["a3_base"][0] and rows["a3_base"][0].endswith("| float32 |")
    assert "73.20%" in rows["a3_base"][1] and rows["a3_base"][1].endswith("| mixed_bfloat16 |")
    [noisy] = rows["a1_noisy"]  # run under bfloat16 only: no float32 row saying it was not run
    assert "93.01%" in noisy and noisy.endswith("| mixed_bfloat16 |")
    assert len(rows["a3_extra"]) == 1 and "not run yet" in rows["a3_extra"][0]
    assert reproduce.full_label("a1_sweep_0.1") == "Assignment 1 sweep (standardised, no clipping): scale 0.1"
    assert reproduce.full_label("a1_noisy") == "MLP, noise 0.5 clipped to [0, 1]"


def test_the_full_thresholds_are_checked_against_every_reproduction_run_behind_them(tmp_path, monkeypatch):
    import json

    from benchmarks import reproduce, thresholds

    from helpers.training import RunRecord

    monkeypatch.setattr(reproduce, "CACHE", tmp_path)
    for key, seed, accuracy in (("a1_clean", 0, 0.9841), ("a1_clean", 1, 0.9832), ("a2_5_BN", 2, 0.9801)):
        record = RunRecord(name=key, history={}, train_accuracy=0.99, val_accuracy=accuracy, train_loss=0.0,
                           val_loss=0.0, epochs=20, batch_size=128, train_samples=60000, wall_time_s=1.0,
                           budget="full", seed=seed)
        (tmp_path / f"{key}__seed{seed}.json").write_text(json.dumps(record.to_dict()))
    told = thresholds.full_budget_check()
    assert "the clean MLP at least 98.32% over 2 runs (threshold 97.5%)" in told
    assert "the nine MLPs of assignment 2 at least 98.01% over 1 runs" in told
    assert "the base CNN not run yet" in told
