"""The benchmarks' reports: the per-phase table of grading (`make bench`, `benchmarks.phases`)."""

from autograder.results import Result
from benchmarks.bench import markdown
from benchmarks.phases import phase_table


def _result(assignment: str, phases: dict[str, float]) -> Result:
    return Result("s0", assignment, 10, 10, seconds=sum(phases.values()) + 1.0, phases=phases)


def test_phase_table_has_a_row_per_phase_a_column_per_notebook_and_totals():
    table = phase_table([_result("a1", {"kernel start": 0.5, "training cells": 10.0}),
                         _result("a2", {"kernel start": 0.7, "verification (probe and checks)": 4.0})])
    assert table[0] == "| phase | a1 | a2 | all |"
    assert "| kernel start | 0.5 | 0.7 | 1.2 |" in table
    assert "| verification (probe and checks) | 0.0 | 4.0 | 4.0 |" in table
    assert table[-1] == "| **notebook total** | **11.5** | **5.7** | **17.2** |"


def test_make_bench_reports_the_phases_of_the_one_submission_run():
    run = {"wall_s": 60.0, "cpu_s": 50.0, "submissions": 1, "submissions_per_min": 1.0, "per_notebook_s": {"a1": 11.5}}
    report = {"grading": {"one_submission": run, "class_1_worker": run, "class_2_workers": run,
                          "speedup_2_workers": 1.0,
                          "phases": {"a1": _result("a1", {"kernel start": 0.5, "training cells": 10.0}).to_dict()}}}
    text = markdown(report)
    assert "| training cells | 10.0 | 10.0 |" in text and "seconds per phase" in text


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
