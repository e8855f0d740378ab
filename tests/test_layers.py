"""Data flows one way: ingest ← index ← app ← eval (DESIGN). No module imports a layer above its own,
and the top-level package (app/root: the command line) is the only place that joins app and eval."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ["ingest", "index", "app", "eval"]


def _imports(path: Path) -> set[str]:
    """The sisterqa layers a module imports (absolute ``sisterqa.X`` or relative ``..X`` imports)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.module and node.module.startswith("sisterqa."):
                out.add(node.module.split(".")[1])
            elif node.level >= 2 and node.module:
                out.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("sisterqa.")}
    return out & set(ORDER)


@pytest.mark.parametrize("layer", ORDER)
def test_no_layer_imports_one_above_it(layer):
    above = set(ORDER[ORDER.index(layer) + 1:])
    folder = ROOT / layer
    bad = {str(p.relative_to(ROOT)): sorted(_imports(p) & above)
           for p in folder.rglob("*.py") if "root" not in p.parts and _imports(p) & above}
    assert not bad, f"{layer} imports a layer above it: {bad}"
