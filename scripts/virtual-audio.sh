#!/usr/bin/env bash
# A virtual microphone and speaker for tests and headless machines (PulseAudio null sinks).
#   source scripts/virtual-audio.sh start   # exports PULSE_SERVER / XDG_RUNTIME_DIR
#   scripts/virtual-audio.sh stop
# 'speaker' is the default sink (what mockint plays lands there: record speaker.monitor);
# 'micfeed' is a 16 kHz mono sink whose monitor is the default source (play into it
# with `paplay --device=micfeed answer.wav` and mockint hears it).
# A keep-alive stream into micfeed keeps its latency low: an idle null sink runs at
# ~2 s latency and its monitor loses the first second of what is played.

va_dir="${MOCKINT_AUDIO_DIR:-/tmp/mockint-audio-$(id -u)}"

va_start() {
  command -v pulseaudio >/dev/null || { echo "virtual-audio: pulseaudio is not installed (apt-get install pulseaudio pulseaudio-utils libasound2-plugins)" >&2; return 1; }
  mkdir -p "$va_dir/runtime" && chmod 700 "$va_dir/runtime"
  export XDG_RUNTIME_DIR="$va_dir/runtime"
  export PULSE_SERVER="unix:$va_dir/runtime/pulse/native"
  if pactl info >/dev/null 2>&1; then return 0; fi
  cat > "$va_dir/default.pa" <<'PA'
load-module module-native-protocol-unix
load-module module-null-sink sink_name=speaker sink_properties=device.description=speaker
load-module module-null-sink sink_name=micfeed rate=16000 channels=1 sink_properties=device.description=micfeed
set-default-sink speaker
set-default-source micfeed.monitor
PA
  pulseaudio --daemonize=yes --exit-idle-time=-1 --disallow-exit -n -F "$va_dir/default.pa" \
    --log-target=file:"$va_dir/pulse.log" >/dev/null 2>&1 || { echo "virtual-audio: pulseaudio failed to start; see $va_dir/pulse.log" >&2; return 1; }
  for _ in $(seq 50); do pactl info >/dev/null 2>&1 && break; sleep 0.1; done
  pactl info >/dev/null 2>&1 || { echo "virtual-audio: pulseaudio did not answer; see $va_dir/pulse.log" >&2; return 1; }
  # ALSA clients (PortAudio) reach it through Debian's pulse plugin (/etc/alsa/conf.d/99-pulse.conf).
  nohup pacat -p --device=micfeed --latency-msec=20 --rate=16000 --channels=1 --format=s16le /dev/zero \
    >/dev/null 2>&1 &
  echo $! > "$va_dir/keepalive.pid"
  sleep 2
}

va_stop() {
  export XDG_RUNTIME_DIR="$va_dir/runtime" PULSE_SERVER="unix:$va_dir/runtime/pulse/native"
  [ -f "$va_dir/keepalive.pid" ] && kill "$(cat "$va_dir/keepalive.pid")" 2>/dev/null
  rm -f "$va_dir/keepalive.pid"
  pulseaudio --kill 2>/dev/null || pkill -f "pulseaudio.*$va_dir" 2>/dev/null || true
}

case "${1:-}" in
  start) va_start ;;
  stop) va_stop ;;
  *) echo "usage: source $0 start | $0 stop" >&2; return 2 2>/dev/null || exit 2 ;;
esac
