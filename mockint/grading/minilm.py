"""all-MiniLM-L6-v2's encoder (a 6-layer BERT) in plain torch, from its safetensors weights.

The same operations, in the same order, as transformers' ``BertModel`` with its default
("sdpa") attention, so the token vectors are the same: what it leaves out is importing
transformers' modelling code (torch._dynamo and the rest; ~125 MB of the model process,
plus sentence-transformers' ~50 MB and 1-2 s) when only one forward pass is needed.
Torch is imported only here, by :func:`load_encoder`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def load_encoder(folder: Path) -> Any:
    """The encoder of the BERT model in ``folder`` (config.json, model.safetensors), in eval
    mode: called with ``input_ids``, ``attention_mask`` and ``token_type_ids`` tensors, it
    returns the last hidden state."""
    import torch
    from safetensors.torch import load_file
    from torch import nn
    from torch.nn import functional

    cfg = json.loads((folder / "config.json").read_text())
    if cfg.get("model_type") != "bert" or cfg.get("hidden_act") != "gelu":
        raise ValueError(f"{folder}: not a BERT encoder with gelu")
    hidden, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.query, self.key, self.value = (nn.Linear(hidden, hidden) for _ in range(3))
            self.attn_out, self.attn_norm = nn.Linear(hidden, hidden), nn.LayerNorm(hidden, eps)
            self.up = nn.Linear(hidden, cfg["intermediate_size"])
            self.down = nn.Linear(cfg["intermediate_size"], hidden)
            self.out_norm = nn.LayerNorm(hidden, eps)

        def forward(self, h: Any, mask: Any) -> Any:
            shape = (*h.shape[:-1], -1, hidden // heads)
            q, k, v = (m(h).view(shape).transpose(1, 2) for m in (self.query, self.key, self.value))
            a = functional.scaled_dot_product_attention(
                q, k, v, attn_mask=mask, dropout_p=0.0, scale=(hidden // heads) ** -0.5
            )
            a = a.reshape(a.shape[0], -1, q.shape[2], v.shape[-1]).transpose(1, 2).contiguous()
            a = a.reshape(*h.shape[:-1], -1).contiguous()
            h = self.attn_norm(self.attn_out(a) + h)
            return self.out_norm(self.down(functional.gelu(self.up(h))) + h)

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.words = nn.Embedding(cfg["vocab_size"], hidden, padding_idx=cfg["pad_token_id"])
            self.positions = nn.Embedding(cfg["max_position_embeddings"], hidden)
            self.types = nn.Embedding(cfg["type_vocab_size"], hidden)
            self.norm = nn.LayerNorm(hidden, eps)
            self.layers = nn.ModuleList(Layer() for _ in range(cfg["num_hidden_layers"]))

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            n = input_ids.shape[1]
            h = self.words(input_ids) + self.types(token_type_ids)
            h = self.norm(h + self.positions(torch.arange(n).unsqueeze(0)))
            # as transformers' bidirectional mask: none without padding, else a boolean one
            mask = None
            if not bool(attention_mask.all()):
                mask = attention_mask.bool()[:, None, None, :].expand(-1, 1, n, n)
            for layer in self.layers:
                h = layer(h, mask)
            return h

    enc = Encoder()
    enc.load_state_dict(_renamed(load_file(str(folder / "model.safetensors"))), strict=True)
    return enc.eval()


def _renamed(weights: dict[str, Any]) -> dict[str, Any]:
    """BertModel's parameter names as :func:`load_encoder`'s (the pooler is not used)."""
    names = {
        "embeddings.word_embeddings": "words",
        "embeddings.position_embeddings": "positions",
        "embeddings.token_type_embeddings": "types",
        "embeddings.LayerNorm": "norm",
        "attention.self.query": "query",
        "attention.self.key": "key",
        "attention.self.value": "value",
        "attention.output.dense": "attn_out",
        "attention.output.LayerNorm": "attn_norm",
        "intermediate.dense": "up",
        "output.dense": "down",
        "output.LayerNorm": "out_norm",
        "encoder.layer.": "layers.",
    }
    out = {}
    for key, value in weights.items():
        if key.startswith("pooler.") or key == "embeddings.position_ids":
            continue
        for old, new in names.items():
            key = key.replace(old, new)
        out[key] = value
    return out
