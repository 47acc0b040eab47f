"""lib/ has no import cycle (every `import` statement, at module level or inside a function, read with ast), its
floors hold (pages -> lib.ui -> domain -> store), the app uses no private Streamlit API, the tree holds the layout."""

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


ROOT = LIB.parent
# The floors, top to bottom: pages -> lib.ui -> the domain modules -> lib.store; lib.i18n, lib.models and
# lib.criteria are the ground every floor may stand on. A floor imports only from the floors below it.
GROUND = {"lib.i18n", "lib.models", "lib.criteria", "lib.evidence"}


def streamlit_imports(path: Path) -> set[str]:
    """The streamlit modules one file imports (module level or inside a function)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        found |= {n for n in names if n == "streamlit" or n.startswith("streamlit.")}
    return found


def test_floors_the_domain_never_imports_the_interface():
    """Only lib/ui speaks Streamlit: a domain module (scoring, store, importer, ...) runs without a server, so it
    imports neither streamlit nor lib.ui; the store imports nothing of the domain above it."""
    modules = {module_name(p) for p in LIB.rglob("*.py")}
    for path in LIB.rglob("*.py"):
        name = module_name(path)
        if name.startswith("lib.ui"):
            continue
        assert not streamlit_imports(path), f"{name} imports streamlit"
        assert not {m for m in imports_of(path, modules) if m.startswith("lib.ui")}, f"{name} imports lib.ui"
    for path in (LIB / "store").rglob("*.py"):
        above = {m for m in imports_of(path, modules) if not m.startswith("lib.store")} - GROUND
        assert not above, f"{module_name(path)} imports {sorted(above)} from a floor above the store"


def test_nothing_uses_private_streamlit_api():
    """No file of the project (app, pages, lib, tests, bench, scripts) imports streamlit.runtime, Streamlit's
    internals: the legacy folder mode is left with public API in one place (lib/ui/state.py: page_view), for the
    server and for AppTest alike."""
    folders = ("pages", "lib", "tests", "bench", "scripts")
    files = [ROOT / "app.py", *(p for d in folders for p in (ROOT / d).rglob("*.py"))]
    assert len(files) > 100
    private = {str(p.relative_to(ROOT)): found for p in files
               if (found := {m for m in streamlit_imports(p) if m.startswith("streamlit.runtime")})}
    assert not private, private


def test_every_tracked_file_is_inside_the_layout():
    """The top level holds the brief's layout (app.py, pages/, data/, lib/, tests/, requirements.txt) and the
    project's tooling, nothing else (a stray notebook, dump or store file fails here)."""
    import subprocess

    layout = {"app.py", "pages", "data", "lib", "tests", "requirements.txt"}
    tooling = {"requirements-dev.txt", "Makefile", "README.md", "BENCHMARKS.md", "DEPLOY.md", "pyproject.toml",
               "babel.cfg", ".gitignore", ".streamlit", ".ci", "bench", "deploy", "scripts"}
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    top = {line.split("/", 1)[0] for line in tracked.splitlines() if line}
    assert layout <= top, f"missing from the layout: {sorted(layout - top)}"
    assert top <= layout | tooling, f"outside the layout: {sorted(top - layout - tooling)}"
    assert not [line for line in tracked.splitlines() if line.endswith((".duckdb", ".duckdb.wal", ".ipynb"))]
