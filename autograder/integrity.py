"""Find student code that tampers with the grading: patched modules, environment, kernel hooks.

Tests run in the student's kernel, so a student could replace ``checks.*``, ``numpy`` functions
or ``assert`` helpers, or change ``NNLAB_BUDGET``. This scan reads every cell a student can
edit (after IPython's magic transformation) and lists such code for the instructor's report. It is a
list of spellings, and Python has many more: it annotates, it never decides points (the verifier
outside the kernel does, see :mod:`autograder.verify`).
"""

from __future__ import annotations

import ast

FORBIDDEN_CALLS = {"setattr", "delattr", "exec", "eval", "compile", "__import__", "globals", "get_ipython",
                   "breakpoint"}
FORBIDDEN_NAMES = {"builtins", "__builtins__", "importlib", "ctypes", "inspect"}
WATCHED_MODULES = {"helpers", "numpy", "keras", "tensorflow", "os", "IPython", "builtins", "sys", "importlib"}
HARMLESS_MAGICS = {"matplotlib", "time", "timeit", "load_ext", "autoreload", "config", "who", "whos"}
ENVIRONMENT_CALLS = {"putenv", "unsetenv"}


def _imported_aliases(tree: ast.AST) -> set[str]:
    """Names bound to the modules that grading relies on (``import matplotlib.pyplot as plt`` is not one)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.split(".")[0] in WATCHED_MODULES}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in WATCHED_MODULES:
            names |= {a.asname or a.name for a in node.names}
    return names


def _rebound_names(tree: ast.AST) -> set[str]:
    """Names a cell assigns plainly (``models = {}``): afterwards they are the student's, not a module."""
    return {target.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)}


def _harmless_magic(node: ast.Call) -> bool:
    """``get_ipython().run_line_magic("matplotlib", ...)``: what ``%matplotlib inline`` becomes."""
    func = node.func
    return (isinstance(func, ast.Attribute) and func.attr == "run_line_magic" and bool(node.args)
            and isinstance(node.args[0], ast.Constant) and node.args[0].value in HARMLESS_MAGICS)


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _problems(tree: ast.AST, modules: set[str]) -> list[str]:
    found = []
    harmless = {id(n.func.value) for n in ast.walk(tree) if isinstance(n, ast.Call) and _harmless_magic(n)}
    for node in ast.walk(tree):
        if id(node) in harmless:
            continue
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            if isinstance(target, (ast.Attribute, ast.Subscript)) and _root_name(target) in modules:
                found.append(f"line {node.lineno}: changes {ast.unparse(target)}")
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            # builtins called by name (model.compile is fine, compile() is not); os.putenv & co. in any form
            if (isinstance(func, ast.Name) and name in FORBIDDEN_CALLS) or name in ENVIRONMENT_CALLS:
                found.append(f"line {node.lineno}: calls {name}()")
            elif isinstance(func, ast.Attribute) and "environ" in ast.unparse(func.value) and \
                    name in {"update", "setdefault", "pop", "clear", "__setitem__"}:
                found.append(f"line {node.lineno}: changes the environment ({ast.unparse(func)})")
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"line {node.lineno}: uses {node.id}")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imported = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            if any((m or "").split(".")[0] in FORBIDDEN_NAMES for m in imported):
                found.append(f"line {node.lineno}: imports {', '.join(m for m in imported if m)}")
    return found


def _to_python(source: str) -> str:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def scan_notebook(nb, release) -> list[str]:
    """Notes on the cells a student wrote: every cell that is not, id and source, a locked cell of ``release``
    (the submitted nbgrader metadata is not trusted)."""
    from autograder.student_cells import is_students, locked_cells

    locked = locked_cells(release)
    sources = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        editable = is_students(cell, locked)
        try:
            tree = ast.parse(_to_python(cell.source))
        except SyntaxError:
            continue  # it will fail when run; nothing it defines can patch anything
        sources[index] = (tree, editable)
    modules = set().union(*(_imported_aliases(tree) for tree, _ in sources.values())) if sources else set()
    modules |= {"np", "numpy", "keras", "tf", "os", "helpers", "checks", "data", "noise", "models", "training",
                "tables", "plots", "get_budget", "BUDGET"}
    modules -= set().union(*(_rebound_names(tree) for tree, editable in sources.values() if editable)) if sources else set()
    problems = []
    for index, (tree, editable) in sources.items():
        if editable:
            problems += [f"cell {index + 1}, {p}" for p in _problems(tree, modules)]
    return problems
