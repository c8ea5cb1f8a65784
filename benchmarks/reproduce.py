"""Run every experiment of the curriculum at the ``full`` budget and write docs/reproduction.md.

    python -m benchmarks.reproduce            # MNIST x 3 seeds, CIFAR-10 x 1, two runs at a time; resumable
    python -m benchmarks.reproduce --report   # only rewrite the report from cached runs
    python -m benchmarks.reproduce --jobs 1 --seeds 0 --only a3_   # one run at a time, one seed, the CNNs

Each finished run is cached as JSON in ``benchmarks/results/reproduction/``; a second call
skips those, so the command can be stopped and started again. Runs go to ``--jobs`` processes
(default: 2 where there are 2 cores or more), each with its share of the cores as TensorFlow threads:
two small MLPs side by side get much more out of two cores than one MLP with two threads.

``--precision auto`` (the default) trains the experiments in ``BFLOAT16`` (the MNIST MLPs but one, and
the base CNN) under Keras' ``mixed_bfloat16`` policy where the CPU computes in bfloat16 natively (AVX-512 BF16
or AMX): there they train faster and end within the accuracy limit (docs/precision.md). Everything
else, and every run on other CPUs (where bfloat16 is emulated, slowly), trains in float32. Runs of
each policy are cached apart and reported in rows of their own.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import multiprocessing
import os
import signal
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")

from helpers import data, plots, training  # noqa: E402
from reference import models, noise  # noqa: E402
from helpers.budget import get_budget  # noqa: E402
from benchmarks.bench import dtype_policy, native_bfloat16  # noqa: E402

CACHE = Path(__file__).parent / "results" / "reproduction"
DOC = Path(__file__).parents[1] / "docs" / "reproduction.md"
FIGURES = DOC.parent / "figures"
COMMAND = "python -m benchmarks.reproduce"
SCALES = (0.1, 0.5, 1.0, 2.0, 4.0)
DEPTHS = {2: (256, 64), 3: (512, 256, 128), 5: (512, 256, 128, 64, 32)}
VARIANTS = {"plain": (False, 0.0), "BN": (True, 0.0), "BN + Dropout": (True, 0.5)}
PRECISIONS = ("auto", "float32", "mixed_bfloat16")


def _depth_key(depth: int, variant: str) -> str:
    """The key of an assignment 2 experiment, e.g. ``a2_5_BN_Dropout``."""
    return f"a2_{depth}_{variant.replace(' + ', '_')}"


# The experiments ``--precision auto`` trains under mixed_bfloat16 on a CPU with native bfloat16: those
# faster there and within the limit (0.5 points on MNIST, 1 on CIFAR-10) of float32 over 3 seeds
# (docs/precision.md): every MNIST experiment but the 5-hidden MLP with BN + Dropout (slower alone), and the
# base CNN (the extra block lost 1.28 points and BatchNorm 1.15). A test checks this set against the cached
# runs (``benchmarks.precision.adopted``).
BFLOAT16 = frozenset({
    "a1_clean", "a1_noisy", *(f"a1_{sweep}_{scale}" for sweep in ("sweep", "clipped") for scale in SCALES),
    *(_depth_key(depth, variant) for depth in DEPTHS for variant in VARIANTS),
    "a3_base"}) - {_depth_key(5, "BN + Dropout")}


@dataclass(frozen=True)
class Experiment:
    """One training run of the curriculum and the reference number it is compared with."""

    key: str
    group: str
    label: str
    reference: float | None  # reference validation accuracy (fraction), None if the reference has none
    run: Callable[[int], training.RunRecord]

    @property
    def on_cifar(self) -> bool:
        return self.key.startswith("a3_")

    def policy(self, precision: str) -> str:
        """The dtype policy of this experiment's runs under ``--precision``: ``auto`` gives the experiments in
        ``BFLOAT16`` bfloat16 where the CPU has it natively, float32 everywhere else."""
        if precision != "auto":
            return precision
        return "mixed_bfloat16" if self.key in BFLOAT16 and native_bfloat16() else "float32"


def _mnist(transform=None):
    ds = data.load("mnist", flatten=True)
    x_train, x_test = ds.train.x, ds.test.x
    if transform:
        x_train, x_test = transform(x_train, x_test)
    return x_train, ds.train.y, x_test, ds.test.y


def _fit(build, split, name, seed):
    x_train, y_train, x_test, y_test = split
    training.seed_everything(seed)
    return training.fit(build(), x_train, y_train, validation_data=(x_test, y_test), budget=get_budget("full"),
                        name=name, seed=seed)


def _clipped(scale):
    return lambda tr, te: (noise.add_gaussian_noise(tr, scale, clip=(0, 1), seed=1),
                           noise.add_gaussian_noise(te, scale, clip=(0, 1), seed=2))


def _standardised(scale):
    def transform(tr, te):
        tr, te = data.standardize(tr, te)
        return noise.add_gaussian_noise(tr, scale, seed=1), noise.add_gaussian_noise(te, scale, seed=2)
    return transform


def experiments() -> list[Experiment]:
    """All experiments, in report order."""
    mlnn = lambda: models.mlp((512, 512), dropout=0.2)  # noqa: E731
    found = [
        Experiment("a1_clean", "Assignment 1", "MLP 669,706, clean", 0.9840,
                   lambda seed: _fit(mlnn, _mnist(), "clean", seed)),
        Experiment("a1_noisy", "Assignment 1", "MLP, noise 0.5 clipped to [0, 1]", 0.9297,
                   lambda seed: _fit(mlnn, _mnist(_clipped(0.5)), "noise 0.5 clipped", seed)),
    ]
    reference_sweep = dict(zip(SCALES, (0.9823, 0.9754, 0.9562, 0.8881, 0.6524)))
    for scale in SCALES:
        found.append(Experiment(f"a1_sweep_{scale}", "Assignment 1 sweep (standardised, no clipping)",
                                f"scale {scale}", reference_sweep[scale],
                                lambda seed, s=scale: _fit(mlnn, _mnist(_standardised(s)), f"scale {s}", seed)))
    for scale in SCALES:
        found.append(Experiment(f"a1_clipped_{scale}", "Assignment 1 sweep (clipped to [0, 1])", f"scale {scale}",
                                None, lambda seed, s=scale: _fit(mlnn, _mnist(_clipped(s)), f"clipped {s}", seed)))
    reference_depth = {(2, "plain"): .9808, (3, "plain"): .9801, (5, "plain"): .9823, (2, "BN"): .9767,
                       (3, "BN"): .9815, (5, "BN"): .9815, (2, "BN + Dropout"): .9795, (3, "BN + Dropout"): .9818,
                       (5, "BN + Dropout"): .9760}
    for depth, widths in DEPTHS.items():
        for variant, (bn, dropout) in VARIANTS.items():
            build = lambda w=widths, b=bn, d=dropout: models.mlp(w, batchnorm=b, dropout=d, initializer="he_normal")  # noqa: E731
            found.append(Experiment(_depth_key(depth, variant), "Assignment 2",
                                    f"{depth} hidden, {variant}", reference_depth[(depth, variant)],
                                    lambda seed, b=build, n=f"{depth} hidden, {variant}": _fit(b, _mnist(), n, seed)))

    def cifar():
        ds = data.load("cifar10")
        return ds.train.x, ds.train.y, ds.test.x, ds.test.y
    for key, label, reference, build in (("a3_base", "CNN 364,426", 0.7231, models.cnn),
                                         ("a3_extra", "CNN + extra block (528,522)", 0.7336,
                                          lambda: models.cnn((32, 64, 128, 256))),
                                         ("a3_bn", "CNN + BatchNorm (366,090)", 0.7419,
                                          lambda: models.cnn(batchnorm=True))):
        found.append(Experiment(key, "Assignment 3 (CIFAR-10)", label, reference,
                                lambda seed, b=build, n=label: _fit(b, cifar(), n, seed)))
    return found


def full_label(key: str) -> str:
    """An experiment's label, with its group where another group has the same label (the two noise sweeps)."""
    found = experiments()
    experiment = next(e for e in found if e.key == key)
    shared = sum(e.label == experiment.label for e in found) > 1
    return f"{experiment.group}: {experiment.label}" if shared else experiment.label


def bfloat16_labels() -> str:
    """The experiments ``--precision auto`` trains under bfloat16, in words: how many of the MNIST ones (and
    which not, if few), and which CNNs."""
    mnist = [e for e in experiments() if not e.on_cifar]
    chosen = [e for e in mnist if e.key in BFLOAT16]
    left = [full_label(e.key) for e in mnist if e.key not in BFLOAT16]
    parts = [f"{len(chosen)} of the {len(mnist)} MNIST experiments"
             + (f" (all but {', '.join(left)})" if 0 < len(left) <= 3 else "")] if chosen else []
    parts += [full_label(e.key) for e in experiments() if e.on_cifar and e.key in BFLOAT16]
    return " and ".join(parts) or "no experiment"


def cache(precision: str = "float32", root: Path | None = None) -> Path:
    """Where runs are cached: float32 runs in ``root`` (default ``reproduction/``), others in ``<root>-<policy>/``."""
    root = root or CACHE
    return root if precision == "float32" else root.with_name(f"{root.name}-{precision}")


Run = tuple[str, int, str]  # experiment key, seed, dtype policy


def planned(seeds: list[int], cifar_seeds: list[int], only: str | None, precision: str,
            root: Path | None = None) -> list[Run]:
    """Every run not cached yet, with its policy (``Experiment.policy``), the CNNs first (the longest start first)."""
    chosen = [e for e in experiments() if not only or any(e.key.startswith(p) for p in only.split(","))]
    runs = [(e.key, seed, e.policy(precision)) for e in sorted(chosen, key=lambda e: not e.on_cifar)
            for seed in (cifar_seeds if e.on_cifar else seeds)]
    return [r for r in runs if not _cached_path(*r, root).exists()]


def _cached_path(key: str, seed: int, precision: str, root: Path | None = None) -> Path:
    return cache(precision, root) / f"{key}__seed{seed}.json"


@contextlib.contextmanager
def _threads_per_job(jobs: int):
    """Each job's share of the cores as TensorFlow's thread pools, for the processes started meanwhile."""
    share = str(max(1, (os.cpu_count() or 1) // jobs))
    names = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
    before = {name: os.environ.get(name) for name in names}
    os.environ.update(dict.fromkeys(names, share))
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_one(key: str, seed: int, precision: str, root: Path) -> str:
    """Train one experiment with one seed, cache its record, and say how it went."""
    experiment = next(e for e in experiments() if e.key == key)
    with dtype_policy(precision):
        record = experiment.run(seed)
    record.extra["tensorflow_threads"] = int(os.environ.get("TF_NUM_INTRAOP_THREADS", os.cpu_count() or 1))
    _cached_path(key, seed, precision, root).write_text(json.dumps(record.to_dict()))
    return f"{key} seed {seed} ({precision}): val {record.val_accuracy:.4f} in {record.wall_time_s:.0f} s"


PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when the thread that started it ends


def _end_with(parent: int) -> None:
    """In a job's process: end when ``parent`` (the reproduction) ends, even when it is killed and cannot stop
    its jobs itself, so that no run goes on training unseen for minutes. Linux only; elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # it ended before the request was made
        os._exit(1)


def run_all(todo: list[Run], *, jobs: int, described: str, root: Path, record_in: Path,
            run: Callable[[str, int, str, Path], str] = run_one) -> None:
    """``run(key, seed, policy, root)`` for each of ``todo`` in ``jobs`` processes, caching under ``root``; how
    long it took goes in ``record_in/run.json``."""
    if not todo:
        return
    for policy in {policy for _, _, policy in todo}:
        cache(policy, root).mkdir(parents=True, exist_ok=True)
    print(f"{len(todo)} run(s) to do, {jobs} at a time", flush=True)
    start = time.monotonic()
    context = multiprocessing.get_context("spawn")  # a fresh TensorFlow per process, with its own thread pools
    with (_threads_per_job(jobs),
          ProcessPoolExecutor(jobs, mp_context=context, initializer=_end_with, initargs=(os.getpid(),)) as pool):
        for done in as_completed([pool.submit(run, *planned_run, root) for planned_run in todo]):
            print(done.result(), flush=True)
    minutes = (time.monotonic() - start) / 60
    policies = dict(sorted(Counter(policy for _, _, policy in todo).items()))
    record_in.mkdir(parents=True, exist_ok=True)
    (record_in / "run.json").write_text(json.dumps(
        {"runs": len(todo), "jobs": jobs, "minutes": round(minutes, 1), "cpus": os.cpu_count(), "command": described,
         "policies": policies}))
    print(f"{len(todo)} run(s) in {minutes:.1f} min", flush=True)


def cached(key: str, precision: str = "float32", root: Path | None = None) -> list[training.RunRecord]:
    """The cached runs of one experiment, by seed."""
    return [training.RunRecord.from_dict(json.loads(p.read_text()))
            for p in sorted(cache(precision, root).glob(f"{key}__seed*.json"))]


def write_report() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    lines = ["# Reproduction of the reference results", "",
             f"Generated by `{COMMAND}` (full budget: all data, 20 epochs, batch 128 for MLPs and 64 for CNNs,",
             "Adam, on a 2-core CPU). The `reference` column holds the course's original results (one run",
             "each, same models and budget); expect about ±0.5 pp run-to-run spread on MNIST and ±1.5 pp on",
             "CIFAR-10. The kit's column is one run per row unless `seeds` says more (then mean ± half-range",
             "over the seeds). \"Lowest val loss\" is the smallest validation loss over the epochs and the",
             "epoch it came at: where it comes early and the final one is higher, the model overfits. Times per epoch are",
             "wall-clock on the machine that ran them, which may have been busy with other work (with several seeds,",
             "the fastest run's, the one least slowed by other work). The last",
             "column says which training path ran: `keras fit` (plain `model.fit`, the kit's path before the",
             "compiled epochs) or `compiled epochs` (`helpers.epoch_loop`, the current default; the two reach the",
             "same accuracy, see benchmarks/results/accuracy.md). Cached runs are kept, so older rows keep",
             "the path they ran with. \"Best epoch\" is the highest validation accuracy over the 20 epochs:",
             "once a model overfits, its validation accuracy moves by a few points from one epoch to the next",
             "(most on CIFAR-10 with BatchNormalization), so one run's last epoch can sit well below its peak.",
             "The `precision` column is Keras' dtype policy: `float32`, or `mixed_bfloat16` (float32 weights,",
             f"bfloat16 arithmetic), which `make reproduce` uses for {bfloat16_labels()} where the CPU has",
             "bfloat16 natively (docs/precision.md); an experiment has a row per policy it was run with.",
             *_last_run(), ""]
    group = None
    for experiment in experiments():
        runs = cached(experiment.key)
        if experiment.group != group:
            group = experiment.group
            lines += ["", f"## {group}", "", "| experiment | reference | kit (validation) | difference | "
                      "train | best epoch | final val loss | lowest val loss | seeds | time per epoch | training path | "
                      "precision |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        lines += _rows(experiment)
    lines += ["", "## Figures", ""]
    for name, keys, title in (("sweep", [f"a1_sweep_{s}" for s in SCALES], "Standardised pixels, no clipping"),
                              ("clipped", [f"a1_clipped_{s}" for s in SCALES], "Pixels in [0, 1], clipped")):
        records = []
        for key, scale in zip(keys, SCALES):
            runs = cached(key)
            if runs:
                runs[0].extra["value"] = scale
                records.append(runs[0])
        if records:
            plots.metric_vs_value(records, title=f"Accuracy and loss vs noise scale: {title}").savefig(FIGURES / f"{name}.png")
            lines.append(f"![{title}](figures/{name}.png)")
    cnn = [r for key in ("a3_base", "a3_extra", "a3_bn") for r in cached(key)[:1]]
    if cnn:
        plots.training_curves(cnn, title="CIFAR-10 CNNs at full budget").savefig(FIGURES / "cifar_curves.png")
        lines.append("![CIFAR-10 curves](figures/cifar_curves.png)")
    DOC.write_text("\n".join(lines) + "\n")
    print(f"wrote {DOC}")


def _rows(experiment: Experiment) -> list[str]:
    """The report's rows of one experiment: one per policy it was run with, or one saying it was not run yet."""
    found = []
    for policy in ("float32", "mixed_bfloat16"):
        runs = cached(experiment.key, policy)
        if not runs:
            continue
        accs = [r.val_accuracy for r in runs]
        mean = sum(accs) / len(accs)
        spread = (max(accs) - min(accs)) / 2
        diff = "" if experiment.reference is None else f"{100 * (mean - experiment.reference):+.2f} pp"
        per_epoch = min(r.wall_time_s / r.epochs for r in runs)  # other work only ever slows a run down
        kit = f"{100 * mean:.2f}%" + (f" ± {100 * spread:.2f}" if len(runs) > 1 else "")
        found.append(f"| {experiment.label} | {_pct(experiment.reference)} | {kit} | "
                     f"{diff} | {100 * sum(r.train_accuracy for r in runs) / len(runs):.2f}% | {_best_epoch(runs)} | "
                     f"{sum(r.val_loss for r in runs) / len(runs):.3f} | {_lowest_loss(runs)} | {len(runs)} | "
                     f"{per_epoch:.1f} s | {', '.join(sorted({r.extra.get('training_path', 'keras fit') for r in runs}))} | "
                     f"{policy} |")
    return found or [f"| {experiment.label} | {_pct(experiment.reference)} | not run yet | | | | | | | | | |"]


def _last_run() -> list[str]:
    """A sentence on the last call that trained anything: how many runs, how many at a time, how long."""
    try:
        last = json.loads((CACHE / "run.json").read_text())
    except (OSError, ValueError):
        return []
    policies = ", ".join(f"{n} under {policy}" for policy, n in last.get("policies", {}).items())
    return ["", f"The last call that trained anything, `{last['command']}`, ran {last['runs']} runs"
                + (f" ({policies})" if policies else "") + f", {last['jobs']} at a "
                f"time (each with its share of the {last['cpus']} cores as TensorFlow threads), in {last['minutes']:.1f} "
                "minutes. The times per epoch below are of runs that shared the machine that way, except in rows that "
                "call did not train or has more seeds than it ran: runs cached from earlier calls keep the time they "
                "ran in (some alone, with all the cores)."]


def _extreme_epoch(runs: list[training.RunRecord], metric: str, pick, show) -> str:
    """``pick`` (max or min) of ``metric`` over the epochs, mean over seeds, shown with ``show``; for one run, its epoch."""
    found = [pick(r.history[metric]) for r in runs]
    text = show(sum(found) / len(found))
    if len(runs) == 1:
        text += f" (epoch {runs[0].history[metric].index(found[0]) + 1})"
    return text


def _best_epoch(runs: list[training.RunRecord]) -> str:
    """Highest validation accuracy over the epochs and, for one run, its epoch."""
    return _extreme_epoch(runs, "val_accuracy", max, lambda value: f"{100 * value:.2f}%")


def _lowest_loss(runs: list[training.RunRecord]) -> str:
    """Lowest validation loss over the epochs and, for one run, its epoch."""
    return _extreme_epoch(runs, "val_loss", min, lambda value: f"{value:.3f}")


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.2f}%"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="seeds of the MNIST experiments")
    parser.add_argument("--cifar-seeds", nargs="+", type=int, default=[0], help="seeds of the CIFAR-10 CNNs")
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1),
                        help="runs at a time, each in its own process with its share of the cores (default 2)")
    parser.add_argument("--only", help="run only experiments whose key starts with this (e.g. a1_; several: a1_clean,a3_base)")
    parser.add_argument("--precision", default="auto", choices=PRECISIONS,
                        help="Keras dtype policy of the runs: auto (default) trains the experiments found worth it "
                             "(docs/precision.md) under mixed_bfloat16 where the CPU has bfloat16 natively, "
                             "everything else in float32; float32 or mixed_bfloat16 trains every chosen run under "
                             "that policy (runs of each policy are cached apart)")
    parser.add_argument("--cache", type=Path, default=CACHE,
                        help="where float32 runs are cached (others beside it, <folder>-<policy>); runs cached "
                             "anywhere but the default are not in the report (python -m benchmarks.precision "
                             "uses benchmarks/results/precision)")
    parser.add_argument("--report", action="store_true", help="only rewrite the report from cached runs")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if not args.report:
        described = (f"{COMMAND} --seeds {' '.join(map(str, args.seeds))} --cifar-seeds "
                     f"{' '.join(map(str, args.cifar_seeds))} --jobs {args.jobs} --precision {args.precision}"
                     + (f" --only {args.only}" if args.only else "")
                     + (f" --cache {args.cache}" if args.cache != CACHE else ""))
        run_all(planned(args.seeds, args.cifar_seeds, args.only, args.precision, args.cache), jobs=args.jobs,
                described=described, root=args.cache,
                record_in=cache("float32" if args.precision == "auto" else args.precision, args.cache))
    if args.cache == CACHE:
        write_report()


if __name__ == "__main__":
    main()
