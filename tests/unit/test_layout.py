"""The layout's rules, read from the code: no import loop, routes never import routes, services never import the
web or the CLI, the dialogue core imports no storage, and one writer of a survey's rows."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "actions", "classifiers", "zhtext")
SERVICES = ("bot.conversation", "bot.ledger", "bot.scoring", "bot.staff", "bot.importing", "bot.demo",
            "bot.notifications", "bot.dialogue", "bot.rating", "bot.domain", "bot.db")


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module of ours that ``name`` imports, at module level or inside functions."""
    found: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for t in targets:
            while t and t not in MODULES:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _package_of(module: str) -> str:
    """The sub-package a module belongs to (``bot.conversation``), for the loop check between rooms."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "bot" and len(parts) > 2 else parts[0] if parts[0] != "bot" else module


def test_no_import_loop_between_packages():
    edges: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        for target in targets:
            a, b = _package_of(module), _package_of(target)
            if a != b:
                edges.setdefault(a, set()).add(b)
    # Tarjan would name the loop; a depth-first search with colours finds whether one exists.
    colour: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        colour[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if colour.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in colour and (loop := visit(nxt, [*path, node])):
                return loop
        colour[node] = 2
        return None

    for start in sorted(edges):
        if start not in colour:
            assert (loop := visit(start, [])) is None, f"import loop: {' -> '.join(loop)}"


def test_routes_never_import_routes():
    for module, targets in GRAPH.items():
        if module.startswith("bot.web.routes."):
            assert not [t for t in targets if t.startswith("bot.web.routes.")], module


def test_services_never_import_the_web_or_the_cli():
    for module, targets in GRAPH.items():
        if module.startswith(SERVICES):
            bad = [t for t in targets if t.startswith(("bot.web", "bot.cli", "bot.ops"))]
            assert not bad, f"{module} imports {bad}"


def test_the_ml_and_text_packages_import_nothing_of_the_product():
    for module, targets in GRAPH.items():
        if module.startswith(("classifiers", "zhtext")):
            assert not [t for t in targets if t.startswith(("bot", "actions"))], module


def test_one_writer_of_a_surveys_rows():
    """Ratings, reasons and flags are inserted only by the two serialisers of the one effect applier."""
    writers = set()
    for name, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        for row_class in ("Rating", "Reason", "Flag"):
            constructed = re.search(rf"(?<![\w.]){row_class}\(", source.replace(f"class {row_class}(", ""))
            if (f"insert({row_class})" in source or constructed) and name != "bot.db.models":
                writers.add(name)
        if any(f"insert(_{t})" in source for t in ("RATINGS", "REASONS", "FLAGS")):
            writers.add(name)
    assert writers <= {"bot.conversation.turns", "bot.importing.bulk_store"}, writers
