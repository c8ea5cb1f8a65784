"""The figures students need; each function returns a matplotlib Figure."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.figure import Figure

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


def training_curves(records: Sequence[RunRecord], *, title: str = "Training curves") -> Figure:
    """Accuracy and loss per epoch (train solid, validation dashed) for each record."""
    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(11, 4))
    for i, record in enumerate(records):
        color = f"C{i % 10}"
        epochs = np.arange(1, len(record.history["accuracy"]) + 1)
        for ax, metric in ((acc_ax, "accuracy"), (loss_ax, "loss")):
            ax.plot(epochs, record.history[metric], color=color, label=f"{record.name} train")
            ax.plot(epochs, record.history[f"val_{metric}"], color=color, linestyle="--", label=f"{record.name} validation")
    for ax, metric in ((acc_ax, "accuracy"), (loss_ax, "loss")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric.capitalize())
        ax.grid(alpha=0.3)
    acc_ax.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def metric_vs_value(
    records: Sequence[RunRecord],
    *,
    xlabel: str = "noise scale",
    title: str = "Accuracy and loss vs noise scale",
    log_x: bool = True,
) -> Figure:
    """Final train and validation accuracy (left) and loss (right) against ``record.extra["value"]``."""
    values = [float(r.extra["value"]) for r in records]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, ("accuracy", "loss")):
        ax.plot(values, [getattr(r, f"train_{metric}") for r in records], "o-", label="train")
        ax.plot(values, [getattr(r, f"val_{metric}") for r in records], "s--", label="validation (test images)")
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
    """A violin per Dense/Conv layer showing the distribution of its trained kernel weights.

    A layer with more than ``VIOLIN_SAMPLE`` weights is drawn from a fixed random sample of that many
    (the density estimate of 400,000 weights takes seconds; its shape and quartiles do not visibly change).
    """
    rng = np.random.default_rng(0)
    kernels = [(layer.name, _at_most(layer.get_weights()[0].ravel(), VIOLIN_SAMPLE, rng)) for layer in model.layers
               if layer.get_weights() and type(layer).__name__ in ("Dense", "Conv2D")]
    fig, ax = plt.subplots(figsize=(1.4 * len(kernels) + 2, 4))
    sns.violinplot(data=[w for _, w in kernels], ax=ax, cut=0, inner="quartile")
    ax.set_xticks(range(len(kernels)), [name for name, _ in kernels], rotation=30)
    ax.set_xlabel("layer")
    ax.set_ylabel("weight value")
    ax.set_title(title or f"Weights of {model.name}")
    fig.tight_layout()
    return fig


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


def time_bars(records: Sequence[RunRecord], *, title: str = "Training time") -> Figure:
    """Horizontal bars of each run's wall-clock training time."""
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(records) + 1.5))
    ax.barh([r.name for r in records], [r.wall_time_s for r in records], color="C0")
    ax.set_xlabel("training time (s)")
    ax.set_ylabel("model")
    ax.set_title(title)
    fig.tight_layout()
    return fig
