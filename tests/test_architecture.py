"""The shape of the package, read from its source: wings, layers, sizes.

The package is split by stage into wings (sub-packages) with rules between them:
a wing imports only the ground and the wings below it, never a wing above it;
no circle between modules or wings; the pure cores reach for no device, model
library, store or CLI; the CLI builds no device or model; no module grows past
500 lines, and none is squeezed under it with ``# fmt: skip``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "mockint"


# what each wing may import besides itself and the ground
MAY_IMPORT: dict[str, set[str]] = {
    "ground": set(),
    "models": set(),
    "storage": set(),
    "sound": {"models"},
    "hearing": {"models", "sound"},
    "grading": {"models"},
    "reports": {"storage", "grading"},
    "rehearsal": {"models", "storage", "sound", "hearing", "grading", "reports"},
    "ui": {"models", "storage", "sound", "hearing", "grading", "reports", "rehearsal"},
    "web": {"models", "storage", "sound", "hearing", "grading", "reports", "rehearsal", "ui"},
    "cli": {
        *("models", "storage", "sound", "hearing", "grading", "reports", "rehearsal", "ui"),
        "web",
    },
}
# the one module of grading that wires hearing and storage to the grade (an Assessment)
EXCEPTIONS = {"grading.assess": {"hearing", "storage"}}

# pure cores: data in, data out (no device, no model library, no store)
PURE_WINGS = {"ground"}
PURE_MODULES = {
    "grading.grade",
    "grading.delivery",
    "grading.star",
    "grading.behavioural",
    "reports.report",
    "rehearsal.schedule",
}
HEAVY = {
    "torch",
    "whisper",
    "sentence_transformers",
    "transformers",
    "sounddevice",
    "pyttsx3",
    "onnxruntime",
    "scipy",
    "soundfile",
    "rich",
    "ctranslate2",
    "faster_whisper",
    "piper",
}
DEVICE_BUILDERS = {
    "SoundDeviceRecorder",
    "Pyttsx3Speaker",
    "PiperSpeaker",
    "SilentSpeaker",
    "ModelProcess",
    "RemoteTranscriber",
    "RemoteEmbedder",
    "Practice",
    "MiniLMEmbedder",
    "make_transcriber",
    "TranscribePool",
}


def modules() -> dict[str, ast.Module]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG).with_suffix("")
        parts = [x for x in rel.parts if x != "__init__"]
        out[".".join(parts) or "__init__"] = ast.parse(p.read_text(), str(p))
    return out


def wing(name: str) -> str:
    """The wing a module lives in: its sub-package, 'ui', or 'ground'."""
    head = name.split(".")[0]
    if head == "__main__":
        return "cli"
    if "." in name or head == "cli" or (PKG / head).is_dir():
        return head
    return "ui" if head == "ui" else "ground"


def imports(tree: ast.Module) -> set[str]:
    """Every module imported anywhere in the file (top level or inside functions)."""
    names = set(modules_names())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from mockint.cli import answers` imports the module mockint.cli.answers
            subs = {f"{node.module}.{a.name}" for a in node.names}
            known = {s for s in subs if s.removeprefix("mockint.") in names}
            found |= known or {node.module}
    return found


def modules_names() -> list[str]:
    return [
        ".".join(x for x in p.relative_to(PKG).with_suffix("").parts if x != "__init__")
        or "__init__"
        for p in PKG.rglob("*.py")
    ]


def internal(tree: ast.Module) -> set[str]:
    return {m.removeprefix("mockint.") for m in imports(tree) if m.startswith("mockint.")}


def test_at_least_five_wings_by_stage() -> None:
    wings = {p.name for p in PKG.iterdir() if (p / "__init__.py").is_file()}
    assert {"models", "storage", "sound", "hearing", "grading", "reports", "rehearsal"} <= wings
    for w in wings:
        assert (PKG / w / "__init__.py").read_text().strip() == "", f"{w}/__init__.py is a face"


def test_no_import_circle_between_modules() -> None:
    mods = modules()
    graph = {name: {m for m in internal(t) if m in mods} for name, t in mods.items()}
    _no_cycle(graph)


def test_no_import_circle_between_wings() -> None:
    graph: dict[str, set[str]] = {}
    for name, tree in modules().items():
        src = wing(name)
        for m in internal(tree):
            dst = wing(m)
            if dst != src:
                graph.setdefault(src, set()).add(dst)
    _no_cycle(graph)


def _no_cycle(graph: dict[str, set[str]]) -> None:
    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = path[path.index(node) :] + [node]
            raise AssertionError("import circle: " + " -> ".join(cycle))
        for nxt in graph.get(node, ()):
            visit(nxt, path + [node])

    for name in graph:
        visit(name, [])


@pytest.mark.parametrize("name", sorted(modules()))
def test_a_wing_imports_only_the_ground_and_the_wings_below(name: str) -> None:
    src = wing(name)
    allowed = {"ground", src} | MAY_IMPORT[src] | EXCEPTIONS.get(name, set())
    bad = {m for m in internal(modules()[name]) if wing(m) not in allowed}
    assert not bad, f"mockint.{name} ({src}) imports {sorted(bad)}"


def test_hearing_knows_no_grade_store_or_loop() -> None:
    for name, tree in modules().items():
        if wing(name) == "hearing":
            assert not {wing(m) for m in internal(tree)} & {"grading", "storage", "rehearsal"}


@pytest.mark.parametrize(
    "name", sorted(n for n in modules() if wing(n) in PURE_WINGS or n in PURE_MODULES)
)
def test_pure_cores_import_no_device_model_or_store(name: str) -> None:
    tree = modules()[name]
    roots = {m.split(".")[0] for m in imports(tree)}
    assert not roots & HEAVY, (name, roots & HEAVY)
    reach = {wing(m) for m in internal(tree)}
    assert not reach & {"models", "sound", "hearing", "rehearsal", "ui", "cli"}, (name, reach)


def test_cli_imports_no_heavy_library_and_builds_no_device() -> None:
    for name, tree in modules().items():
        if wing(name) != "cli":
            continue
        roots = {m.split(".")[0] for m in imports(tree)}
        assert not roots & {"sounddevice", "torch", "whisper", "pyttsx3"}, name
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        used |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        assert not used & DEVICE_BUILDERS, (name, used & DEVICE_BUILDERS)


def test_modules_and_functions_stay_readable() -> None:
    for name, tree in modules().items():
        text = _path(name).read_text()
        lines = len(text.splitlines())
        assert lines <= 500, f"mockint/{name}: {lines} lines"
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                end = node.end_lineno or node.lineno
                if end - node.lineno + 1 <= 60:
                    continue
                source = "\n".join(text.splitlines()[node.lineno - 1 : end])
                assert "# long:" in source, (
                    f"mockint/{name}.py: {node.name} has {end - node.lineno + 1} lines "
                    "and no '# long:' comment saying why"
                )


def test_no_fmt_skip_in_the_library() -> None:
    """A module near the line limit is split by idea, not squeezed with pragmas."""
    squeezed = {n for n in modules() if "# fmt: skip" in _path(n).read_text()}
    assert not squeezed, sorted(squeezed)


def _path(name: str) -> Path:
    p = PKG.joinpath(*name.split("."))
    return p / "__init__.py" if p.is_dir() else p.with_suffix(".py")


def test_docs_architecture_names_every_module() -> None:
    doc = (PKG.parent / "docs" / "architecture.md").read_text()
    for name in modules():
        if name in {"__init__", "__main__"} or _path(name).name == "__init__.py":
            continue
        path = name.replace(".", "/") + ".py"
        assert f"`{path}`" in doc, f"docs/architecture.md does not name mockint/{path}"
