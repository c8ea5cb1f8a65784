"""What a student's functions need, as source that a fresh process can run without the notebook's state.

From every code cell, in notebook order, a probe keeps the top-level ``def``, ``class`` and ``import``
statements, the assignments whose value calls nothing (constants, lambdas), and every other top-level
assignment whose name a kept statement uses, directly or through other kept ones (``BUDGET =
get_budget()`` used inside a function, a ``functools.partial``, a table of settings). Everything else
(training at the top level, plotting, printing, loops) is dropped.
"""

from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

ALWAYS_KEPT = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)
ASSIGNMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign)


@dataclass(frozen=True)
class Statement:
    """One top-level statement: its source, the names it binds and the names it reads."""

    source: str
    binds: frozenset[str]
    reads: frozenset[str]
    always: bool  # imports, functions, classes and assignments that call nothing
    root: bool  # a function or class: what a probe calls, and so what decides which assignments are needed


def _calls_nothing(node: ast.AST) -> bool:
    return not any(isinstance(n, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom)) for n in ast.walk(node))


def _bound(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}


def _read(source: str) -> set[str]:
    """The module-level names a statement reads, including those its functions, lambdas and classes read when called."""
    top = symtable.symtable(source, "<cell>", "exec")
    names = {symbol.get_name() for symbol in top.get_symbols() if symbol.is_referenced()}
    scopes = list(top.get_children())
    while scopes:
        scope = scopes.pop()
        names |= {symbol.get_name() for symbol in scope.get_symbols() if symbol.is_global() and symbol.is_referenced()}
        scopes += scope.get_children()
    return names


def statements(source: str) -> list[Statement]:
    """The top-level statements of one cell a probe may run (magics removed); loops, calls and the like are left out."""
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return []
    found = []
    for node in tree.body:
        if isinstance(node, ALWAYS_KEPT) or isinstance(node, ASSIGNMENTS):
            always = isinstance(node, ALWAYS_KEPT) or (not isinstance(node, ast.AugAssign) and _calls_nothing(node))
            text = ast.unparse(node)
            root = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            found.append(Statement(text, frozenset(_bound(node)), frozenset(_read(text)), always, root))
    return found


def needed(found: list[Statement]) -> list[str]:
    """The kept statements' sources, in order: those always kept, and every assignment that a function or class
    needs, directly or through other assignments (a constant's own inputs are loaded only if a function needs them)."""
    wanted = set().union(*(s.reads for s in found if s.root))
    pulled: set[int] = set()
    grew = True
    while grew:
        grew = False
        for index, statement in enumerate(found):
            if index not in pulled and statement.binds & wanted:
                pulled.add(index)
                wanted |= statement.reads
                grew = True
    return [s.source for index, s in enumerate(found) if s.always or index in pulled]


def definitions(source: str) -> list[str]:
    """The statements of one cell worth running alone, as if it were the whole notebook."""
    return needed(statements(source))


def program(submitted, master) -> list[str]:
    """What a probe runs: the master's imports, then every code cell of ``submitted`` as :func:`needed` selects it.

    Locked cells count like the student's (the set-up cell's ``BUDGET = get_budget()`` is what a student's
    function may use); a cell whose id and source are not a locked cell of the master is the student's code.
    """
    found: list[Statement] = []
    for cell in submitted.cells:
        if cell.cell_type == "code":
            found += statements(cell.source)
    return preamble(master) + needed(found)


def preamble(master) -> list[str]:
    """The imports of the master's locked code cells (there even if a student deleted the set-up cell)."""
    found: list[str] = []
    for cell in master.cells:
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("solution"):
            found += [s.source for s in statements(cell.source) if s.source.startswith(("import ", "from "))]
    return list(dict.fromkeys(found))
