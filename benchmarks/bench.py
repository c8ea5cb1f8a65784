"""`make bench`: training speed of every curriculum model and grading speed, as JSON and markdown.

    python -m benchmarks.bench                 # training (every path) + grading: 48 min on 2 cores
    python -m benchmarks.bench --skip-grading  # training only
    python -m benchmarks.bench --skip-training --skip-grading --name grader-fit  # students' fit vs the grader's

Training: for each model, (a) plain Keras code written as the reference notebooks write it
(compile + fit with a per-step progress bar), (b) the kit's ``helpers.training.fit``, and
Keras' own ``fit`` made fast (in-memory tensors, ``steps_per_execution``, with and without XLA;
``--paths`` picks), side by side in one process, on fixed subsets; median per-epoch time over
repeats, samples/s, the ratio a/b (speed-up of the kit), each other path against the kit, and
the fraction of this machine's measured float32 matmul peak that the kit reaches. Students' fit: the
training of one submission as students write it, with Keras' ``fit`` and with the grader's
(:mod:`benchmarks.grader_fit`). Grading: wall and CPU seconds per notebook and per submission at the
``grade`` budget, and throughput with 1 and 2 workers.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.results import Result
from benchmarks.grader_fit import bench_grader_fit, markdown_lines
from benchmarks.phases import phase_table

RESULTS = Path(__file__).parent / "results"


def matmul_peak_gflops(n: int = 2048, repeats: int = 7) -> float:
    """Median float32 GFLOP/s of an n x n matmul in TensorFlow (the same kernels training uses)."""
    import tensorflow as tf

    a = tf.random.normal((n, n))
    b = tf.random.normal((n, n))
    tf.matmul(a, b).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tf.matmul(a, b).numpy()
        times.append(time.perf_counter() - start)
    return 2 * n**3 / statistics.median(times) / 1e9


def training_flops_per_sample(model) -> float:
    """About 3x the forward multiply-adds x 2 of Dense and Conv2D layers (forward + backward)."""
    forward = 0.0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Dense":
            forward += 2 * layer.kernel.shape[0] * layer.kernel.shape[1]
        elif kind == "Conv2D":
            _, height, width, out_channels = layer.output.shape
            kh, kw, in_channels, _ = layer.kernel.shape
            forward += 2 * height * width * out_channels * kh * kw * in_channels
    return 3 * forward


def curriculum_models():
    from reference import models

    found = [("mlp 669,706", lambda: models.mlp((512, 512), dropout=0.2), "mnist")]
    for widths in ((256, 64), (512, 256, 128), (512, 256, 128, 64, 32)):
        for label, bn, dropout in (("plain", False, 0.0), ("BN", True, 0.0), ("BN+Dropout", True, 0.5)):
            found.append((f"mlp {'-'.join(map(str, widths))} {label}",
                          lambda w=widths, b=bn, d=dropout: models.mlp(w, batchnorm=b, dropout=d), "mnist"))
    found += [("cnn base", models.cnn, "cifar10"), ("cnn extra block", lambda: models.cnn((32, 64, 128, 256)), "cifar10"),
              ("cnn BN", lambda: models.cnn(batchnorm=True), "cifar10")]
    return found


def _epoch_timer(times: list[float]):
    """A Keras callback appending each epoch's wall time to ``times``."""
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    return EpochTimer()


def reference_style_fit(build, x, y, xv, yv, batch_size: int, epochs: int) -> tuple[dict, list[float]]:
    """(history, per-epoch seconds) of plain Keras code as the reference notebooks write it."""
    times: list[float] = []
    model = build()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    with contextlib.redirect_stdout(io.StringIO()):
        history = model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=(xv, yv), verbose=1,
                            callbacks=[_epoch_timer(times)]).history
    return history, times


def kit_fit(build, x, y, xv, yv, batch_size: int, epochs: int, seed: int | None = None) -> tuple[dict, list[float]]:
    """(history, per-epoch seconds) of the kit's default ``helpers.training.fit``."""
    from helpers import training
    from helpers.budget import get_budget

    times: list[float] = []
    record = training.fit(build(), x, y, validation_data=(xv, yv), epochs=epochs, batch_size=batch_size,
                          verbose=False, budget=get_budget("full"), seed=seed, callbacks=[_epoch_timer(times)])
    return record.history, times


def keras_fit(build, x, y, xv, yv, batch_size: int, epochs: int, *, jit_compile: bool = False
              ) -> tuple[dict, list[float]]:
    """(history, per-epoch seconds) of Keras' own ``fit`` made fast: in-memory tensors, one compiled call per
    epoch (``steps_per_execution`` = steps per epoch), the kit's fused Adam, optionally XLA."""
    import tensorflow as tf
    from helpers.optimizers import FusedAdam

    times: list[float] = []
    model = build()
    model.compile(optimizer=FusedAdam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=-(-len(x) // batch_size), jit_compile=jit_compile)
    history = model.fit(tf.constant(x), tf.constant(y), batch_size=batch_size, epochs=epochs, verbose=0,
                        validation_data=(tf.constant(xv), tf.constant(yv)), validation_batch_size=1024,
                        callbacks=[_epoch_timer(times)]).history
    return history, times


NATIVE_BFLOAT16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def native_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX-512 BF16 or AMX); elsewhere Keras emulates it, slowly."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return False
    return any(line.startswith("flags") and NATIVE_BFLOAT16_FLAGS & set(line.split(":", 1)[-1].split())
               for line in text.splitlines())


@contextlib.contextmanager
def dtype_policy(name: str):
    """Keras' global dtype policy ``name`` while models are built, the previous one after."""
    import keras

    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)


def kit_fit_bfloat16(build, x, y, xv, yv, batch_size: int, epochs: int, seed: int | None = None
                     ) -> tuple[dict, list[float]]:
    """The kit's path with the model built under Keras' ``mixed_bfloat16`` policy (float32 weights)."""
    with dtype_policy("mixed_bfloat16"):
        model = build()
    return kit_fit(lambda: model, x, y, xv, yv, batch_size, epochs, seed)


# name -> (runner, what it is); "reference" and "kit" are the two the speed-up compares
TRAINING_PATHS = {
    "reference": (reference_style_fit, "plain Keras as the reference notebooks write it"),
    "kit": (kit_fit, "helpers.training.fit: compiled epoch loop + fused Adam"),
    "keras_fit": (keras_fit, "Keras fit, in-memory tensors, steps_per_execution = one epoch, fused Adam"),
    "keras_fit_xla": (functools.partial(keras_fit, jit_compile=True), "the same with jit_compile=True"),
    "kit_bfloat16": (kit_fit_bfloat16, "the kit's path, model built under mixed_bfloat16"),
}


def bench_training(repeats: int, epochs: int, mnist_size: int, cifar_size: int,
                   paths: tuple[str, ...] = tuple(TRAINING_PATHS)) -> dict:
    from helpers import data

    peak = matmul_peak_gflops()
    sets = {"mnist": data.load("mnist", flatten=True, train_size=mnist_size, test_size=5000),
            "cifar10": data.load("cifar10", train_size=cifar_size, test_size=2000)}
    rows = []
    for name, build, dataset in curriculum_models():
        ds = sets[dataset]
        batch = 128 if dataset == "mnist" else 64
        flops = training_flops_per_sample(build()) * len(ds.train.x)
        per_epoch: dict[str, list[float]] = {path: [] for path in paths}
        for _ in range(repeats):  # alternate the paths; the first epoch of each run (tracing) is dropped
            for path in paths:
                runner = TRAINING_PATHS[path][0]
                per_epoch[path] += runner(build, ds.train.x, ds.train.y, ds.test.x, ds.test.y, batch, epochs + 1)[1][1:]
        measured = {path: statistics.median(times) for path, times in per_epoch.items()}
        rows.append({"model": name, "samples": len(ds.train.x), "batch_size": batch, "s_per_epoch": measured,
                     "kit_samples_per_s": len(ds.train.x) / measured["kit"],
                     "speedup": measured["reference"] / measured["kit"],
                     "kit_fraction_of_peak": flops / measured["kit"] / 1e9 / peak})
        print(f"{name}: " + ", ".join(f"{path} {value:.2f}" for path, value in measured.items()) + " s/epoch", flush=True)
    return {"matmul_peak_gflops": peak, "epochs_per_repeat": epochs, "repeats": repeats, "paths": list(paths),
            "models": rows}


def busy_cpu_seconds(stat: Path = Path("/proc/stat")) -> float | None:
    """Seconds that all cores of this machine together have been busy since boot (Linux's ``/proc/stat``), or
    None where there is none. Over a run, the difference is what the run cost, if nothing else ran meanwhile:
    unlike ``getrusage`` it also counts the sandboxed processes, which are not this process's waited-for
    children."""
    try:
        cpu = stat.read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, cpu[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def bench_grading(class_size: int) -> dict:
    """Grade one complete submission (three notebooks) with 1 worker, then a class with 1 and 2 workers."""
    from autograder import course, examples

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in range(class_size):
            for assignment in course.assignments():
                examples.write_submission(tmp / "class", f"s{n}", assignment, examples.solved(assignment))
        shutil.copytree(tmp / "class" / "s0", tmp / "one" / "s0")
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        for label, folder, workers in (("one_submission", "one", 1), ("one_submission_2_workers", "one", 2),
                                       ("class_1_worker", "class", 1), ("class_2_workers", "class", 2)):
            busy_before, start = busy_cpu_seconds(), time.perf_counter()
            subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp / folder), "--out",
                            str(tmp / f"out-{label}"), "--workers", str(workers), "--budget", "grade"], env=env, check=True,
                           capture_output=True)
            wall, busy_after = time.perf_counter() - start, busy_cpu_seconds()
            results = [json.loads(p.read_text()) for p in (tmp / f"out-{label}").glob("work/jobs/*/result.json")]
            students = len({r["student_id"] for r in results})
            if label == "one_submission":
                out["phases"] = {r["assignment"]: r for r in results}
            cpu = None if busy_before is None or busy_after is None else busy_after - busy_before
            out[label] = {"wall_s": wall, "cpu_s": cpu,
                          "submissions": students, "submissions_per_min": 60 * students / wall,
                          "per_notebook_s": {r["assignment"]: r["seconds"] for r in results if r["student_id"] == "s0"}}
            print(f"{label}: {wall:.0f} s wall for {students} submission(s)", flush=True)
    out["speedup_2_workers"] = out["class_1_worker"]["wall_s"] / out["class_2_workers"]["wall_s"]
    return out


def markdown(report: dict, command: str = "python -m benchmarks.bench") -> str:
    lines = ["# Benchmarks", "", f"Generated by `{command.strip()}`.", ""]
    if "training" in report:
        t = report["training"]
        others = [p for p in t["paths"] if p not in ("reference", "kit")]
        lines += [f"Measured float32 matmul peak: {t['matmul_peak_gflops']:.0f} GFLOP/s. Medians of {t['repeats']} "
                  f"runs x {t['epochs_per_repeat']} epochs (first epoch of each run dropped). Seconds per epoch:", ""]
        lines += [f"- **{path}**: {TRAINING_PATHS[path][1]}" for path in t["paths"]] + [""]
        lines += ["| model | samples | " + " | ".join(t["paths"]) + " | kit samples/s | speed-up (reference/kit) | "
                  "kit % of peak | " + " | ".join(f"{p}/kit" for p in others) + " |",
                  "|---" * (len(t["paths"]) + len(others) + 5) + "|"]
        for r in t["models"]:
            times = r["s_per_epoch"]
            lines.append(f"| {r['model']} | {r['samples']:,} | " + " | ".join(f"{times[p]:.2f}" for p in t["paths"])
                         + f" | {r['kit_samples_per_s']:,.0f} | {r['speedup']:.2f}x | {100 * r['kit_fraction_of_peak']:.0f}% | "
                         + " | ".join(f"{times[p] / times['kit']:.2f}" for p in others) + " |")
    if "grader_fit" in report:
        lines += markdown_lines(report["grader_fit"])
    if "grading" in report:
        g = report["grading"]
        one = g["one_submission"]
        lines += ["", "| grading (`grade` budget) | wall s | CPU s (all cores, from /proc/stat, nothing else running) | "
                  "CPU s per submission | submissions/min |", "|---|---|---|---|---|"]
        labels = {"one_submission": "one submission (3 notebooks), 1 worker",
                  "one_submission_2_workers": "one submission (3 notebooks), 2 workers (the default on 2 cores)",
                  "class_1_worker": f"{_submissions(g['class_1_worker']['submissions'])}, 1 worker",
                  "class_2_workers": f"{_submissions(g['class_2_workers']['submissions'])}, 2 workers"}
        for label, text in labels.items():
            if label in g:
                row = g[label]
                cpu = ("—", "—") if row["cpu_s"] is None else (f"{row['cpu_s']:.0f}",
                                                                f"{row['cpu_s'] / row['submissions']:.0f}")
                lines.append(f"| {text} | {row['wall_s']:.0f} | {cpu[0]} | {cpu[1]} | {row['submissions_per_min']:.2f} |")
        lines += ["", "Per notebook (one submission): " + ", ".join(
            f"{a} {s:.0f} s" for a, s in sorted(one["per_notebook_s"].items())),
                  f"Speed-up with 2 workers: {g['speedup_2_workers']:.2f}x.", "",
                  "Where the time of the one-submission run went, seconds per phase (see `docs/grading-phases.md`):",
                  "", *phase_table([Result.from_dict(r) for _, r in sorted(g["phases"].items())])]
    return "\n".join(lines) + "\n"


def _submissions(n: int) -> str:
    return f"{n} submission" + ("" if n == 1 else "s")


def write_results(name: str, report: dict, text: str) -> None:
    """Write ``benchmarks/results/<name>.json`` and ``<name>.md`` and print the markdown."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(report, indent=1))
    (RESULTS / f"{name}.md").write_text(text)
    print(text)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--mnist-size", type=int, default=60000)
    parser.add_argument("--cifar-size", type=int, default=5000)
    parser.add_argument("--class-size", type=int, default=2, help="complete submissions in the throughput runs")
    parser.add_argument("--paths", nargs="+", default=list(TRAINING_PATHS), choices=list(TRAINING_PATHS),
                        help="training paths to compare (reference and kit are always included)")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--skip-grader-fit", action="store_true", help="skip students' fit vs the grader's")
    parser.add_argument("--skip-grading", action="store_true")
    parser.add_argument("--name", default="bench", help="results file name in benchmarks/results/ (default bench)")
    args = parser.parse_args(argv)
    report = {}
    if not args.skip_training:
        paths = tuple(dict.fromkeys(["reference", "kit", *args.paths]))
        report["training"] = bench_training(args.repeats, args.epochs, args.mnist_size, args.cifar_size, paths)
    if not args.skip_grader_fit:
        report["grader_fit"] = bench_grader_fit("grade")
    if not args.skip_grading:
        report["grading"] = bench_grading(args.class_size)
    write_results(args.name, report, markdown(report, f"python -m benchmarks.bench {' '.join(argv or sys.argv[1:])}"))


if __name__ == "__main__":
    main()
