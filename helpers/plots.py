"""The figures students need; each function returns a matplotlib Figure."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from helpers.history import per_epoch
from helpers.training import RunRecord


def _as_image(row: np.ndarray) -> np.ndarray:
    row = np.asarray(row, dtype="float32")
    if row.ndim == 1:
        side = int(round(np.sqrt(row.size)))
        if side * side != row.size:
            raise ValueError(f"cannot show a vector of {row.size} values as a square image")
        row = row.reshape(side, side)
    return row


def image_grid(
    rows: Sequence[np.ndarray],
    row_titles: Sequence[str],
    *,
    n: int = 8,
    title: str = "Images",
) -> Figure:
    """Show the first ``n`` images of each array in ``rows`` side by side (e.g. clean vs noisy)."""
    if len(rows) != len(row_titles):
        raise ValueError("give one title per row of images")
    fig, axes = plt.subplots(len(rows), n, figsize=(1.3 * n, 1.5 * len(rows)), squeeze=False)
    for r, (images, row_title) in enumerate(zip(rows, row_titles)):
        for c in range(n):
            image = _as_image(images[c])
            ax = axes[r, c]
            if image.ndim == 2:
                ax.imshow(image, cmap="gray")
            else:
                ax.imshow(np.clip(image, 0.0, 1.0))
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(row_title)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _named_runs(runs) -> list[tuple[str, dict[str, list[float]]]]:
    """(name, per-epoch lists) from ``{name: History}`` or from training records (which carry a name)."""
    items = runs.items() if isinstance(runs, Mapping) else ((run.name, run) for run in runs)
    return [(str(name), per_epoch(run)) for name, run in items]


def training_curves(runs: Mapping[str, Any] | Sequence[RunRecord], *, title: str = "Training curves") -> Figure:
    """Accuracy and loss per epoch (train solid, validation dashed) of each run.

    ``runs`` maps a name to what ``model.fit`` returned (``{"clean": history_clean, ...}``), or is a list of
    training records.
    """
    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (name, history) in enumerate(_named_runs(runs)):
        color = f"C{i % 10}"
        epochs = np.arange(1, len(history["accuracy"]) + 1)
        for ax, metric in ((acc_ax, "accuracy"), (loss_ax, "loss")):
            ax.plot(epochs, history[metric], color=color, label=f"{name} train")
            ax.plot(epochs, history[f"val_{metric}"], color=color, linestyle="--", label=f"{name} validation")
    for ax, metric in ((acc_ax, "accuracy"), (loss_ax, "loss")):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs are whole numbers
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric.capitalize())
        ax.grid(alpha=0.3)
    acc_ax.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def metric_vs_value(
    values: Sequence[float],
    histories: Sequence[Any],
    *,
    xlabel: str = "noise scale",
    title: str = "Accuracy and loss vs noise scale",
    log_x: bool = True,
) -> Figure:
    """Last-epoch train and validation accuracy (left) and loss (right) of each History against its value."""
    if len(values) != len(histories):
        raise ValueError(f"{len(values)} values for {len(histories)} histories: give one History per value")
    lists = [per_epoch(h) for h in histories]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, ("accuracy", "loss")):
        ax.plot(values, [h[metric][-1] for h in lists], "o-", label="train")
        ax.plot(values, [h[f"val_{metric}"][-1] for h in lists], "s--", label="validation (test images)")
        if log_x:
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(metric)
        ax.set_title(metric.capitalize())
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


VIOLIN_SAMPLE = 10_000


def weight_violins(model, *, title: str | None = None) -> Figure:
    """A violin per Dense/Conv layer showing the distribution of its trained kernel weights, labelled by the layer's
    role (``hidden 1 (512)``).

    A layer with more than ``VIOLIN_SAMPLE`` weights is drawn from a fixed random sample of that many
    (the density estimate of 400,000 weights takes seconds; its shape and quartiles do not visibly change).
    """
    rng = np.random.default_rng(0)
    weighted = [layer for layer in model.layers if layer.get_weights() and type(layer).__name__ in ("Dense", "Conv2D")]
    kernels = [(label, _at_most(layer.get_weights()[0].ravel(), VIOLIN_SAMPLE, rng))
               for label, layer in zip(layer_roles(weighted), weighted)]
    fig, ax = plt.subplots(figsize=(1.4 * len(kernels) + 2, 4))
    sns.violinplot(data=[w for _, w in kernels], ax=ax, cut=0, inner="quartile")
    ax.set_xticks(range(len(kernels)), [name for name, _ in kernels], rotation=30)
    ax.set_xlabel("layer")
    ax.set_ylabel("weight value")
    ax.set_title(title or f"Weights of {model.name}")
    fig.tight_layout()
    return fig


def layer_roles(layers: Sequence) -> list[str]:
    """Labels by role, not by Keras' generated names: "conv 1 (32)", "hidden 2 (256)", "output (10)"."""
    labels, convolutions, hidden = [], 0, 0
    for index, layer in enumerate(layers):
        if type(layer).__name__ == "Conv2D":
            convolutions += 1
            labels.append(f"conv {convolutions} ({layer.filters})")
        elif index == len(layers) - 1:
            labels.append(f"output ({layer.units})")
        else:
            hidden += 1
            labels.append(f"hidden {hidden} ({layer.units})")
    return labels


def _at_most(values: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    return values if len(values) <= size else rng.choice(values, size, replace=False)


def confusion_matrix(counts: np.ndarray, class_names: Sequence[str], *, title: str = "Confusion matrix") -> Figure:
    """Heat map of a confusion matrix (rows: true class, columns: predicted class)."""
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    sns.heatmap(counts, annot=True, fmt="d", cmap="Blues", cbar=False, ax=ax,
                xticklabels=class_names, yticklabels=class_names, annot_kws={"size": 7})
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def time_bars(seconds: Mapping[str, float], *, title: str = "Training time") -> Figure:
    """Horizontal bars of each model's training time: ``seconds`` maps a model's name to its seconds."""
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(seconds) + 1.5))
    ax.barh([str(name) for name in seconds], [float(s) for s in seconds.values()], color="C0")
    ax.set_xlabel("training time (s)")
    ax.set_ylabel("model")
    ax.set_title(title)
    fig.tight_layout()
    return fig
