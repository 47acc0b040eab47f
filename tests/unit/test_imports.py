"""lib/ has no import cycle: every `import` statement, at module level or inside a function, read with ast."""

from __future__ import annotations

import ast
from pathlib import Path

LIB = Path(__file__).resolve().parents[2] / "lib"


def module_name(path: Path) -> str:
    parts = path.relative_to(LIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The lib modules one file imports (`from lib.x import name` counts as lib.x, `from lib import x` as lib.x)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from .rules import y
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            candidates = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in modules:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                found.add(candidate)
    return found


def test_lib_has_no_import_cycle():
    paths = {module_name(p): p for p in LIB.rglob("*.py")}
    graph = {name: imports_of(path, set(paths)) for name, path in paths.items()}
    done: set[str] = set()

    def cycle_from(name: str, trail: list[str]) -> list[str] | None:
        if name in trail:
            return [*trail[trail.index(name):], name]
        if name in done:
            return None
        for target in sorted(graph[name]):
            if found := cycle_from(target, [*trail, name]):
                return found
        done.add(name)
        return None

    cycles = [found for name in sorted(graph) if (found := cycle_from(name, []))]
    assert not cycles, "import cycle: " + " -> ".join(cycles[0])


def test_the_walk_sees_the_store_backends_and_the_incentives_package():
    """The test above is not vacuous: the walk finds the store package's imports (the backend opened inside a
    function too) and the incentives package's own modules."""
    modules = {module_name(p) for p in LIB.rglob("*.py")}
    assert {"lib.store.base", "lib.store.duckdb", "lib.store.postgres", "lib.store.schema"} <= imports_of(
        LIB / "store" / "__init__.py", modules)
    assert "lib.store.base" in imports_of(LIB / "store" / "postgres.py", modules)
    assert {"lib.incentives.rules", "lib.incentives.value"} <= imports_of(LIB / "incentives" / "offers.py", modules)


def test_no_store_module_imports_a_sibling_backend_and_base_imports_neither():
    """Each backend knows only the shared base and the schema; lib.store (the package) alone picks a backend."""
    modules = {module_name(p) for p in LIB.rglob("*.py")}
    store = LIB / "store"
    backends = {"lib.store.duckdb", "lib.store.postgres"}
    assert not imports_of(store / "schema.py", modules) & {m for m in modules if m.startswith("lib.store")}
    assert not imports_of(store / "base.py", modules) & (backends | {"lib.store"})
    for backend in backends:
        found = imports_of(store / f"{backend.rpartition('.')[2]}.py", modules)
        assert found & {m for m in modules if m.startswith("lib.")} <= {"lib.store.base", "lib.store.schema"}, found
