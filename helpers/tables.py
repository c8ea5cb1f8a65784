"""Comparison tables built from run records, never typed by hand."""

from __future__ import annotations

from typing import Callable, Sequence

from prettytable import PrettyTable

from helpers.training import RunRecord

Column = tuple[str, Callable[[RunRecord], object]]

DEFAULT_COLUMNS: tuple[Column, ...] = (
    ("model", lambda r: r.name),
    ("parameters", lambda r: f"{r.params.get('total', 0):,}"),
    ("train acc (%)", lambda r: f"{100 * r.train_accuracy:.2f}"),
    ("val acc (%)", lambda r: f"{100 * r.val_accuracy:.2f}"),
    ("val loss", lambda r: f"{r.val_loss:.4f}"),
    ("epochs", lambda r: r.epochs),
    ("time (s)", lambda r: f"{r.wall_time_s:.1f}"),
)


def extra_column(header: str, key: str) -> Column:
    """A column showing ``record.extra[key]`` (e.g. the noise scale of a sweep)."""
    return (header, lambda r: r.extra.get(key, ""))


def comparison_table(
    records: Sequence[RunRecord],
    *,
    columns: Sequence[Column] = DEFAULT_COLUMNS,
    title: str | None = None,
) -> PrettyTable:
    """One row per record, with the given columns."""
    table = PrettyTable([header for header, _ in columns])
    if title:
        table.title = title
    for record in records:
        table.add_row([value(record) for _, value in columns])
    table.align = "r"
    table.align[columns[0][0]] = "l"
    return table
