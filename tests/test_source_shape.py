"""The package stays a micro-framework: limits that keep it readable, checked on its source.

- no function over 80 lines (a declarative argparse set-up excepted), no module over 500 lines;
- no private name (``_x``) imported from another module, nor read as ``module._x``: what
  siblings share is public in its own module (a private *module*, ``_files``, is the package's
  own, and import-linter's ``private_modules`` contract keeps it inside the package);
- no import cycle, counted with grimp (the graph import-linter checks the layers on).

Each checker is tested on a small source of its own first, so that it is known to catch what
it is for; then it runs on the package.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tinygrad_lr

PACKAGE = Path(tinygrad_lr.__file__).parent
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 500
ARGPARSE_CALLS = {
    "add_argument",
    "add_parser",
    "add_argument_group",
    "add_mutually_exclusive_group",
    "set_defaults",
}


def _argparse_only(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """True if every statement of ``fn`` (past its docstring) declares command-line options:
    ``p = sub.add_parser(...)``, ``p.add_argument(...)``, ``p.set_defaults(...)``, ..."""
    body = fn.body[1:] if ast.get_docstring(fn) is not None else fn.body
    for stmt in body:
        call = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Attribute)
            and call.func.attr in ARGPARSE_CALLS
        ):
            return False
    return True


def long_functions(source: str, where: str = "<source>") -> list[str]:
    """``where:line name (n lines)`` for every function longer than the limit, nested ones too."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno is not None
            n = node.end_lineno - node.lineno + 1  # everything: signature, docstring, comments
            if n > MAX_FUNCTION_LINES and not _argparse_only(node):
                found.append(f"{where}:{node.lineno} {node.name} ({n} lines)")
    return found


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    base = PACKAGE.parent.joinpath(*name.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_imports(source: str, module: str, is_package: bool = False) -> list[str]:
    """Private names ``module`` takes from other modules of the package: ``from m import _x``,
    and ``m._x`` on a module ``m`` it imported."""
    found = []
    modules = {}  # local name -> a module of the package
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            here = module.split(".") if is_package else module.split(".")[:-1]
            base = here[: len(here) - node.level + 1] if node.level else []
            source_module = ".".join(base + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{source_module}.{alias.name}"
                if _is_module(full):
                    modules[alias.asname or alias.name] = full
                elif _private(alias.name) and source_module != module:
                    found.append(f"{module}:{node.lineno} from {source_module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            name = node.value.id if isinstance(node.value, ast.Name) else None
            if name in modules and modules[name].startswith(PACKAGE.name) and modules[name] != module:
                found.append(f"{module}:{node.lineno} {name}.{node.attr}")
    return found


def _sources() -> list[tuple[Path, str]]:
    return [(p, p.read_text()) for p in sorted(PACKAGE.rglob("*.py"))]


# --- the checkers catch what they are for ---------------------------------------------------------


def test_the_function_check_catches_a_long_function_and_spares_argparse():
    long_body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    too_long = long_functions(f"def f():\n{long_body}\n", "m.py")
    assert too_long == [f"m.py:1 f ({MAX_FUNCTION_LINES + 1} lines)"]
    assert long_functions("def f():\n" + "\n".join(long_body.splitlines()[:-1]) + "\n") == []  # 80: fine
    options = "\n".join(f'    p.add_argument("--o{i}", help="option {i}")' for i in range(MAX_FUNCTION_LINES))
    declarations = f'def add(sub):\n    """Options."""\n    p = sub.add_parser("c")\n{options}\n'
    assert long_functions(declarations + "    p.set_defaults(func=run)\n") == []
    assert long_functions(declarations + "    print(p)\n") != []  # anything else counts it again


def test_the_private_name_check_catches_both_forms():
    module = "tinygrad_lr.viz.draw"
    source = (
        "from tinygrad_lr.viz.style import _OP, node_style\n"
        "from . import graph\n"
        "from .. import graph as g\n"
        "from .._files import atomic_file\n"  # a private module's public name: fine
        "x = g._hooks\n"
        "y = graph.grad_enabled\n"
    )
    assert private_imports(source, module) == [
        "tinygrad_lr.viz.draw:1 from tinygrad_lr.viz.style import _OP",
        "tinygrad_lr.viz.draw:5 g._hooks",
    ]


# --- the package ----------------------------------------------------------------------------------


def test_no_function_over_80_lines():
    found = [f for path, src in _sources() for f in long_functions(src, str(path.relative_to(PACKAGE)))]
    assert found == []


def test_no_module_over_500_lines():
    sizes = {str(p.relative_to(PACKAGE)): len(src.splitlines()) for p, src in _sources()}
    assert {p: n for p, n in sizes.items() if n > MAX_MODULE_LINES} == {}


def test_no_private_name_crosses_a_module():
    found = []
    for path, src in _sources():
        found += private_imports(src, _module_name(path), is_package=path.name == "__init__.py")
    assert found == []


def _cycles(graph) -> list[list[str]]:
    """The strongly connected groups of two or more modules (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_the_cycle_count_sees_a_cycle():
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (the dev extra)")
    graph = grimp.ImportGraph()
    for a, b in [("p.a", "p.b"), ("p.b", "p.c"), ("p.c", "p.a"), ("p.c", "p.d"), ("p.d", "p.e")]:
        graph.add_import(importer=a, imported=b)
    assert _cycles(graph) == [["p.a", "p.b", "p.c"]]


def test_no_import_cycles():
    grimp = pytest.importorskip("grimp", reason="grimp comes with import-linter (the dev extra)")
    graph = grimp.build_graph(PACKAGE.name, cache_dir=None)  # every import, in functions too
    assert _cycles(graph) == []


def test_the_layers_picture_in_the_docs_is_the_code_s_import_graph(tmp_path):
    """docs/images/layers.svg (docs/engine.md) is what tools/draw_layers.py draws from the code
    today: a box per module of the package, in the rows of the import-linter contract, and an
    arrow per import no longer path implies."""
    pytest.importorskip("grimp", reason="grimp comes with import-linter (the dev extra)")
    pytest.importorskip("tomllib", reason="tools/draw_layers.py reads pyproject.toml with tomllib (3.11+)")
    import importlib.util
    import xml.etree.ElementTree as ET

    from figures import picture_difference

    spec = importlib.util.spec_from_file_location("draw_layers", PACKAGE.parent / "tools" / "draw_layers.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    fresh = tmp_path / "layers.svg"
    tool.main(fresh)
    committed = PACKAGE.parent / "docs" / "images" / "layers.svg"
    assert picture_difference(committed, fresh) is None, "run: python tools/draw_layers.py"

    ns = "{http://www.w3.org/2000/svg}"
    drawn = ET.fromstring(committed.read_text())
    titles = {kind: [] for kind in ("node", "edge")}
    for g in drawn.iter(f"{ns}g"):
        if g.get("class") in titles and g.find(f"{ns}path") is not None:  # a box or an arrow
            titles[g.get("class")].append(g.findtext(f"{ns}title"))
    modules = {
        p.name.removesuffix(".py")
        for p in PACKAGE.iterdir()
        if p.name != "__init__.py" and (p.suffix == ".py" or (p / "__init__.py").exists())
    }
    assert sorted(titles["node"]) == sorted(modules)  # every module, once
    arrows = {tuple(t.split("->")) for t in titles["edge"]}
    imports = tool.module_imports()
    assert arrows <= imports and arrows == tool.without_implied(imports)
    assert ("value", "ops") in arrows and ("value", "viz") not in imports  # the engines import no lens
