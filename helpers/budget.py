"""Named training budgets, chosen by the ``NNLAB_BUDGET`` environment variable.

``full`` is the assignment as written (all data, 20 epochs, the reference batch sizes).
``grade`` is what the autograder uses; ``smoke`` is for CI. Each budget also carries the
accuracy thresholds that notebook tests use at that budget (see ``docs/thresholds.md``
for the runs that measured them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Mapping

BUDGET_ENV = "NNLAB_BUDGET"
# Set only by the grader, in the kernel's environment: it wins over ``NNLAB_BUDGET`` and a name, so a
# ``%env NNLAB_BUDGET=smoke`` a student left in the notebook never changes how the notebook is graded.
GRADER_BUDGET_ENV = "NNLAB_GRADER_BUDGET"
DEFAULT_BUDGET = "full"


@dataclass(frozen=True)
class Budget:
    """How much data and how many epochs one notebook run may use.

    ``*_train`` / ``*_test`` are subset sizes (``None`` = all data). ``run_optional`` says whether
    notebooks run their optional exploration cells. ``thresholds`` maps a
    result name (e.g. ``"mnist_mlp_clean"``) to the minimum validation accuracy a correctly
    built and trained model reaches at this budget.
    """

    name: str
    epochs: int
    mnist_train: int | None
    mnist_test: int | None
    cifar_epochs: int
    cifar_train: int | None
    cifar_test: int | None
    mlp_batch_size: int = 128
    cnn_batch_size: int = 64
    # BatchNormalization's momentum: its moving averages forget their start values as momentum ** steps, so a
    # budget of ~100 steps needs 0.9 (0.9 ** 72 < 0.001); Keras' default 0.99 needs ~460 steps (full has 9,000+)
    batchnorm_momentum: float = 0.99
    run_optional: bool = True  # optional "try it" cells; off under the grader, where only graded work counts
    thresholds: Mapping[str, float] = field(default_factory=dict)

    def threshold(self, result: str) -> float:
        """Minimum validation accuracy expected for ``result`` at this budget."""
        try:
            return self.thresholds[result]
        except KeyError:
            known = ", ".join(sorted(self.thresholds))
            raise KeyError(f"no threshold named {result!r} in budget {self.name!r}; known: {known}") from None


def _frozen(values: dict[str, float]) -> Mapping[str, float]:
    return MappingProxyType(dict(values))


# Thresholds: lowest accuracy over >= 3 seeds at that budget minus a safety margin of
# 5-21 points (student models differ from the reference one in initialisation and layer
# style), and far above an untrained model (~0.10). Measured with `python -m benchmarks.thresholds`;
# the raw numbers are in docs/thresholds.md.
BUDGETS: Mapping[str, Budget] = MappingProxyType({
    "full": Budget(
        name="full", epochs=20, mnist_train=None, mnist_test=None,
        cifar_epochs=20, cifar_train=None, cifar_test=None,
        thresholds=_frozen({
            "mnist_mlp_clean": 0.975,
            "mnist_mlp_noisy": 0.90,
            "mnist_depth_mlp": 0.965,
            "cifar_cnn": 0.65,
        }),
    ),
    "grade": Budget(
        name="grade", epochs=3, mnist_train=4000, mnist_test=1000,
        cifar_epochs=3, cifar_train=3000, cifar_test=1000, batchnorm_momentum=0.9, run_optional=False,
        thresholds=_frozen({
            "mnist_mlp_clean": 0.85,
            "mnist_mlp_noisy": 0.67,
            "mnist_depth_mlp": 0.45,
            "cifar_cnn": 0.27,
        }),
    ),
    "smoke": Budget(
        name="smoke", epochs=3, mnist_train=3000, mnist_test=1000,
        cifar_epochs=3, cifar_train=2000, cifar_test=500, batchnorm_momentum=0.9,
        thresholds=_frozen({
            "mnist_mlp_clean": 0.80,
            "mnist_mlp_noisy": 0.60,
            "mnist_depth_mlp": 0.30,
            # 3 epochs on 2,000 images (2 epochs left a correct extra-block CNN at 16% for one seed of five)
            "cifar_cnn": 0.15,
        }),
    ),
})


def get_budget(name: str | None = None) -> Budget:
    """The grader's budget while grading; otherwise ``name``, or the one ``NNLAB_BUDGET`` selects (default ``full``).

    Under the grader optional "try it" cells are off at every budget: only graded work is run.
    """
    grading = bool(os.environ.get(GRADER_BUDGET_ENV))
    chosen = (os.environ.get(GRADER_BUDGET_ENV) or name or os.environ.get(BUDGET_ENV) or DEFAULT_BUDGET).strip().lower()
    try:
        return replace(BUDGETS[chosen], run_optional=False) if grading else BUDGETS[chosen]
    except KeyError:
        raise ValueError(
            f"{BUDGET_ENV}={chosen!r} is not a known budget; choose one of "
            f"{', '.join(BUDGETS)} (e.g. `export {BUDGET_ENV}=smoke`)."
        ) from None
