"""The definitions a student wrote, as source that a fresh process can run without the notebook's state.

Only top-level ``def``, ``class`` and ``import`` statements, and assignments whose value calls
nothing, are kept; everything else (training, plotting, printing) is dropped. Cells are matched to
the master by id; every cell that is not a locked cell of the master counts as student code,
whatever its nbgrader metadata says.
"""

from __future__ import annotations

import ast

from IPython.core.inputtransformer2 import TransformerManager

KEPT = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)


def _calls_nothing(node: ast.AST) -> bool:
    return not any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)) for n in ast.walk(node))


def definitions(source: str) -> list[str]:
    """The statements of one cell worth running alone (magics removed), each as its own source."""
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return []
    kept = []
    for node in tree.body:
        if isinstance(node, KEPT) or (isinstance(node, (ast.Assign, ast.AnnAssign)) and _calls_nothing(node)):
            kept.append(ast.unparse(node))
    return kept


def locked_cells(master) -> set[tuple[str, str]]:
    """(id, source) of the master's cells a student cannot change (everything but solution cells)."""
    return {(cell.get("id"), cell.source.strip()) for cell in master.cells
            if not cell.metadata.get("nbgrader", {}).get("solution")}


def student_definitions(submitted, master) -> list[str]:
    """Definitions from every code cell of ``submitted`` that is not, id and source, a locked cell of ``master``.

    The submitted metadata is not consulted: a cell relabelled as locked is still the student's code.
    """
    locked = locked_cells(master)
    found: list[str] = []
    for cell in submitted.cells:
        if cell.cell_type == "code" and (cell.get("id"), cell.source.strip()) not in locked:
            found += definitions(cell.source)
    return found


def preamble(master) -> list[str]:
    """The imports of the master's locked code cells (what a student's definitions may rely on)."""
    found: list[str] = []
    for cell in master.cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("solution"):
            found += [s for s in definitions(cell.source) if s.startswith(("import ", "from "))]
    return list(dict.fromkeys(found))
