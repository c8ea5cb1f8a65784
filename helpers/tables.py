"""Comparison tables built from run records, never typed by hand; what a printed cell shows."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable, Sequence

from prettytable import PrettyTable

if TYPE_CHECKING:  # the grader reads tables without importing the training code (and Keras)
    from helpers.training import RunRecord

Column = tuple[str, Callable[["RunRecord"], object]]

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
    records: Sequence["RunRecord"],
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


def shown_number(cell: object) -> float:
    """The number a table cell shows (``"364,426"``, ``"91.25"``, ``"91.25%"``); NaN when it shows none."""
    try:
        return float(str(cell).strip().replace(",", "").rstrip("%"))
    except ValueError:
        return float("nan")


def shows(cell: object, value: float) -> bool:
    """Whether ``cell`` shows ``value`` to the precision it is printed with (``"12.3"`` shows 12.34)."""
    number = shown_number(cell)
    if math.isnan(number):
        return False
    text = str(cell).strip().replace(",", "").rstrip("%")
    if "e" in text.lower():
        return math.isclose(number, value, rel_tol=1e-3)
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    return abs(number - value) <= max(0.5 * 10 ** -decimals, 1e-6 * abs(value)) + 1e-9
