"""The shape of the package, read from its source: rooms, layers, sizes.

Fails when an import circle appears, when a pure core reaches for a device or a
model, when the CLI starts building devices, or when a module or function grows
past what a reader can hold (a function may say why with a '# long:' comment).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "mockint"

# pure cores: data in, data out
CORES = {"grade", "text", "delivery", "schedule", "report", "bank", "transcript", "errors",
         "star"}  # fmt: skip
# what touches hardware or loads a model
ADAPTERS = {"devices", "speech", "vad", "transcribe", "embed", "worker", "models", "ct2",
            "listen", "practice", "ui", "interview", "phonetic"}  # fmt: skip
HEAVY = {"torch", "whisper", "sentence_transformers", "transformers", "sounddevice", "pyttsx3",
         "onnxruntime", "scipy", "soundfile", "rich"}  # fmt: skip
DEVICE_BUILDERS = {"SoundDeviceRecorder", "Pyttsx3Speaker", "PiperSpeaker", "SilentSpeaker",
                   "ModelProcess",
                   "RemoteTranscriber", "RemoteEmbedder", "Practice"}  # fmt: skip


def modules() -> dict[str, ast.Module]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        rel = p.relative_to(PKG).with_suffix("")
        parts = [x for x in rel.parts if x != "__init__"]
        out[".".join(parts) or "__init__"] = ast.parse(p.read_text(), str(p))
    return out


def imports(tree: ast.Module) -> set[str]:
    """Every module imported anywhere in the file (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            # `from mockint.cli import answers` imports the module mockint.cli.answers
            subs = {f"{node.module}.{a.name}" for a in node.names}
            known = {s for s in subs if s.removeprefix("mockint.") in _names()}
            found |= known or {node.module}
    return found


def _names() -> set[str]:
    return {
        ".".join(x for x in p.relative_to(PKG).with_suffix("").parts if x != "__init__")
        for p in PKG.rglob("*.py")
    }


def internal(tree: ast.Module) -> set[str]:
    return {m.removeprefix("mockint.") for m in imports(tree) if m.startswith("mockint.")}


def test_no_import_circle() -> None:
    mods = modules()
    graph = {name: {m for m in internal(t) if m in mods} for name, t in mods.items()}

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = path[path.index(node) :] + [node]
            raise AssertionError("import circle: " + " -> ".join(cycle))
        for nxt in graph.get(node, ()):
            visit(nxt, path + [node])

    for name in graph:
        visit(name, [])


@pytest.mark.parametrize("core", sorted(CORES))
def test_cores_import_no_device_or_model(core: str) -> None:
    tree = modules()[core]
    assert not (internal(tree) & ADAPTERS), internal(tree) & ADAPTERS
    assert not {m.split(".")[0] for m in imports(tree)} & HEAVY


def test_cli_imports_no_heavy_library_and_builds_no_device() -> None:
    for name, tree in modules().items():
        if name != "cli" and not name.startswith("cli."):
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


def _path(name: str) -> Path:
    p = PKG.joinpath(*name.split("."))
    return p / "__init__.py" if p.is_dir() else p.with_suffix(".py")


def test_readme_architecture_table_names_every_module() -> None:
    readme = (PKG.parent / "README.md").read_text()
    table = readme[readme.index("## Architecture") : readme.index("## Tests")]
    listed = set(re.findall(r"`([a-z_0-9]+)\.py`", table))
    modules_ = {p.stem for p in PKG.glob("*.py")} - {"__init__", "__main__"}
    assert modules_ - listed == set(), "not in README's architecture table"
    assert listed - modules_ - {"cli"} == set(), "in README's table but not in the package"
