"""Printed PrettyTable tables (``+---+`` borders, ``|`` columns) found in text, turned into HTML tables."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

BORDER = re.compile(r"^\+[-+=]+\+$")
ROW = re.compile(r"^\|.*\|$")


@dataclass(frozen=True)
class Piece:
    """A run of plain text, or one table rendered as HTML."""

    text: str
    is_table: bool


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip()[1:-1].split("|")]


def _table_html(lines: list[str]) -> str:
    """One printed table as HTML: an optional title row, a header row, then the body rows."""
    rows = [line for line in lines if ROW.match(line)]
    widths = [len(_cells(row)) for row in rows]
    columns = max(widths)
    title = rows.pop(0) if rows and widths[0] == 1 and columns > 1 else None
    header, body = (rows[0], rows[1:]) if rows else ([], [])
    parts = ["<table class='results'>"]
    if title:
        parts.append(f"<caption>{html.escape(_cells(title)[0])}</caption>")
    if header:
        parts.append("<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in _cells(header)) + "</tr></thead>")
    parts.append("<tbody>" + "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(row)) + "</tr>"
                                     for row in body) + "</tbody></table>")
    return "".join(parts)


def split(text: str) -> list[Piece]:
    """``text`` as plain pieces and HTML tables, in order; a table is a border line, rows, and a border line."""
    pieces: list[Piece] = []
    plain: list[str] = []
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        end = index
        if BORDER.match(lines[index].strip()):
            end = index + 1
            while end < len(lines) and (ROW.match(lines[end].strip()) or BORDER.match(lines[end].strip())):
                end += 1
        block = [line.strip() for line in lines[index:end]]
        if end - index >= 3 and BORDER.match(block[-1]) and any(ROW.match(line) for line in block):
            if plain:
                pieces.append(Piece("".join(plain), False))
                plain = []
            pieces.append(Piece(_table_html(block), True))
            index = end
        else:
            plain.append(lines[index])
            index += 1
    if plain:
        pieces.append(Piece("".join(plain), False))
    return pieces
