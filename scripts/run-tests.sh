#!/usr/bin/env bash
# Run the test suite with the virtual microphone and speaker up (started before
# any process imports sounddevice, which only sees PulseAudio if it runs first).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=virtual-audio.sh
source scripts/virtual-audio.sh start
trap 'scripts/virtual-audio.sh stop' EXIT
.venv/bin/ruff check mockint tests bench
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
