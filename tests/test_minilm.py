"""The plain-torch MiniLM encoder gives the vectors transformers' BertModel gives."""

from __future__ import annotations

import numpy as np
import pytest


def test_the_encoder_matches_transformers_bert_model() -> None:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from mockint.grading.minilm import load_encoder
    from mockint.models.registry import embedder_path

    path = embedder_path()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    reference = transformers.AutoModel.from_pretrained(str(path), local_files_only=True).eval()
    ours = load_encoder(path)
    texts = ["I like clean code.", "", "Redis caches the hot keys " * 40, "Why?"]
    batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.inference_mode():
        want = reference(**batch).last_hidden_state.numpy()
        got = ours(**batch).numpy()
    assert got.shape == want.shape
    assert np.allclose(got, want, rtol=0, atol=1e-6)  # the same operations in the same order
