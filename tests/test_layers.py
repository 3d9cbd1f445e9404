"""The layer rules of docs/architecture.md, read from every module's import statements (ast, nothing imported).

One place defines the layers (LAYERS, bottom to top; the doc's table lists the same order, checked below).
Each rule names every offending import as ``path:line imports module``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "cardioview"

#: Bottom to top. A unit (a subpackage of cardioview, or a top-level module) may import units of its own layer
#: and of the layers below, never above. Command modules (COMMAND) sit above every layer.
LAYERS: list[tuple[str, set[str]]] = [
    (
        "foundation",
        {"errors", "atomic", "csv_safe", "imageops", "area_shrink", "resources", "library_output", "__init__"},
    ),
    ("imaging", {"imaging", "inputs"}),
    ("anatomy", {"anatomy"}),
    ("model", {"model"}),
    ("comparison", {"comparison"}),
    ("render", {"render"}),
    ("inference", {"inference"}),
    ("results", {"results"}),
    ("network", {"network"}),
    ("training", {"training"}),
    ("gui", {"gui"}),
    ("entry points", {"cli", "predict_cli", "anatomy_cli", "selftest", "frozen", "__main__"}),
]
QT = {"PySide6", "shiboken6", "pyqtgraph"}
TORCH = {"torch", "torchvision"}


def _is_command(module: str) -> bool:
    """cli.py, *_cli.py and __main__.py: entry points that parse arguments; only other entry points import them."""
    last = module.rsplit(".", 1)[-1]
    return last in ("cli", "__main__") or last.endswith("_cli")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, TYPE_CHECKING blocks and function bodies too."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.append((node.lineno, base))
            # ``from cardioview.training import cli`` imports the module cardioview.training.cli
            out += [(node.lineno, f"{base}.{alias.name}") for alias in node.names if f"{base}.{alias.name}" in MODULES]
    return out


MODULES = _modules()
ALL = {module: _imports(module, path) for module, path in MODULES.items()}


def _unit(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def _layer(unit: str) -> int:
    for rank, (_, units) in enumerate(LAYERS):
        if unit in units:
            return rank
    raise AssertionError(f"cardioview.{unit} is in no layer: add it to LAYERS here and to docs/architecture.md")


def _where(module: str, line: int, target: str) -> str:
    return f"{MODULES[module].relative_to(REPO)}:{line} imports {target}"


def _offenders(rule) -> list[str]:
    return [_where(m, line, target) for m, imports in ALL.items() for line, target in imports if rule(m, target)]


def test_every_unit_has_a_layer():
    for module in ALL:
        _layer(_unit(module))


def test_packages_import_only_their_own_layer_and_those_below():
    def upward(module: str, target: str) -> bool:
        if not target.startswith("cardioview.") or _is_command(module):
            return False
        if target in ALL and _is_command(target):
            return False  # the command rule below names these
        return _layer(_unit(target)) > _layer(_unit(module))

    offenders = _offenders(upward)
    assert not offenders, "imports of a higher layer (see LAYERS):\n" + "\n".join(offenders)


def test_no_package_imports_a_command_module():
    offenders = _offenders(
        lambda m, t: t in ALL and _is_command(t) and not _is_command(m) and _unit(m) not in LAYERS[-1][1]
    )
    assert not offenders, "imports of a command module (cli.py, *_cli.py):\n" + "\n".join(offenders)


def test_only_gui_imports_qt():
    offenders = _offenders(lambda m, t: t.split(".")[0] in QT and _unit(m) != "gui")
    assert not offenders, "Qt outside cardioview/gui:\n" + "\n".join(offenders)


def test_only_training_model_and_the_torch_backend_import_torch():
    def allowed(module: str) -> bool:
        return _unit(module) in ("training", "model") or module == "cardioview.inference.torch_backend"

    offenders = _offenders(lambda m, t: t.split(".")[0] in TORCH and not allowed(m))
    assert not offenders, "torch outside training/, model/ and inference/torch_backend.py:\n" + "\n".join(offenders)


def test_model_and_render_do_not_import_inference():
    offenders = _offenders(lambda m, t: _unit(m) in ("model", "render") and t.startswith("cardioview.inference"))
    assert not offenders, "\n".join(offenders)


def test_network_is_headless():
    offenders = _offenders(
        lambda m, t: _unit(m) == "network" and (t.split(".")[0] in QT or t.startswith("cardioview.gui"))
    )
    assert not offenders, "\n".join(offenders)


def test_the_rules_see_real_imports():
    """The reader works: it finds known imports, relative ones and imported submodules included."""
    assert any(t == "cardioview.gui.options" for _, t in ALL["cardioview.gui.app"])
    assert any(t == "torch" for _, t in ALL["cardioview.inference.torch_backend"])
    assert any(t.startswith("PySide6") for _, t in ALL["cardioview.gui.panel"])
    assert any(t == "cardioview.training.cli" for _, t in ALL["cardioview.cli"])


def test_architecture_doc_lists_the_same_layers():
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| *\d+ *\| *([^|]+?) *\|", doc, flags=re.M)
    assert rows == [name for name, _ in reversed(LAYERS)], "docs/architecture.md's layer table is out of date"
