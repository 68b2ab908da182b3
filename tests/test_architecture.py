"""The house's rules, read from the source: no import circle in the library (imports made for
typing count too), the library never imports the tests or the suites, and no part imports the
seat facade."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "seatcheck"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute, wherever the import stands."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            # `from . import x` and `from .pkg import mod` name modules too
            found |= {f"{target}.{alias.name}" for alias in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {i for i in _imports(path) if i in modules and i != name}
            for name, path in modules.items()}  # fmt: skip


def test_library_has_no_import_circle() -> None:
    graph = _graph()
    assert len(graph) > 50, f"expected the library's modules; found {len(graph)}"
    # A package's __init__ is imported with any of its modules: an edge from a module to its
    # own package's __init__ is not a circle of the code's making, so only real edges count.
    state: dict[str, int] = {}
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if nxt == node.rsplit(".", 1)[0] or node.startswith(nxt + "."):
                continue  # a module naming its own package
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not circles, "expected no import circle in seatcheck/; found " + "; ".join(
        " -> ".join(c) for c in circles[:5]
    )


def test_library_imports_neither_tests_nor_suites() -> None:
    offenders = {
        _module_name(p): sorted(i for i in _imports(p) if i.split(".")[0] in ("tests", "suites"))
        for p in PACKAGE.rglob("*.py")
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"expected seatcheck/ to import no tests or suites; found {offenders}"


def test_parts_do_not_import_the_seat_facade() -> None:
    for sub in ("parts", "displays"):
        for path in (PACKAGE / sub).glob("*.py"):
            assert "seatcheck.topology" not in _imports(path), (
                f"expected {path.relative_to(ROOT)} to reach the seat through "
                "seatcheck.context; found it importing seatcheck.topology"
            )
