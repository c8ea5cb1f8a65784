"""A quick look at assignment 1 at a small budget: clean vs noisy MLP and a short noise sweep.

Run with ``python -m reference.demo [--budget NAME]`` (default: ``NNLAB_BUDGET``, else ``smoke``).
"""

from __future__ import annotations

import argparse
import os

from helpers import data, tables, training
from reference import models, noise
from helpers.budget import get_budget

SCALES = (0.1, 0.5, 1.0, 2.0, 4.0)


def main(argv: list[str] | None = None) -> None:
    from helpers.budget import BUDGETS

    parser = argparse.ArgumentParser(prog="python -m reference.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--budget", choices=list(BUDGETS), default=os.environ.get("NNLAB_BUDGET") or "smoke",
                        help="training budget (default: NNLAB_BUDGET, else smoke)")
    budget = get_budget(parser.parse_args(argv).budget)
    print(f"budget: {budget.name} ({budget.epochs} epochs, {budget.mnist_train or 'all'} training images)")
    ds = data.load_for_budget("mnist", budget, flatten=True)
    (x_train, y_train), (x_test, y_test) = ds.train, ds.test

    def run(name: str, train_x, test_x) -> training.RunRecord:
        return training.fit(models.mlp((512, 512), dropout=0.2), train_x, y_train,
                            validation_data=(test_x, y_test), budget=budget, name=name)

    clean = run("clean", x_train, x_test)
    clip = (0.0, 1.0)
    noisy = run("noise 0.5, clipped", noise.add_gaussian_noise(x_train, 0.5, clip=clip, seed=1),
                noise.add_gaussian_noise(x_test, 0.5, clip=clip, seed=2))
    print(tables.comparison_table([clean, noisy], title="Clean vs noisy MNIST (MLP 669,706 parameters)"))

    std_train, std_test = data.standardize(x_train, x_test)
    sweep = training.sweep(SCALES, lambda s: run(
        f"scale {s}", noise.add_gaussian_noise(std_train, s, seed=1), noise.add_gaussian_noise(std_test, s, seed=2)),
        label="noise sweep")
    columns = (tables.extra_column("noise scale", "value"),) + tables.DEFAULT_COLUMNS[2:4]
    print(tables.comparison_table(sweep, columns=columns, title="Noise after standardising, no clipping"))


if __name__ == "__main__":
    main()
