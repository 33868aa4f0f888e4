#!/usr/bin/env bash
# Soak: Mayfly's memory must not grow with the length of a run.
#
# The demo target (core 0, GOMAXPROCS=1) is driven by Mayfly (core 1) at a
# constant RATE (open model) for MINUTES. Every 10 s the script prints the
# elapsed time and Mayfly's RSS (VmRSS in /proc/PID/status); at the end, the
# growth from minute 1 (warm: connections, histograms and buffers are in
# place by then) to the last sample. Exits 1 if the RSS at the end exceeds
# 1.5x the RSS at minute 1: a bound that catches memory growing with time
# (per-second data must stream to disk, not pile up).
#
# Usage: bench/soak.sh [MINUTES=60] [RATE=1000]
set -euo pipefail

MINUTES=${1:-60}
RATE=${2:-1000}
INTERVAL=10
BOUND=1.5

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init soak

if ((MINUTES < 2)); then
	echo "MINUTES must be at least 2 (minute 1 is the reference)" >&2
	exit 2
fi

build_mayfly
PORT=$(free_port)
URL="http://127.0.0.1:$PORT/ok"
start_target "$PORT"

echo "mayfly: $RATE req/s for ${MINUTES}m against $URL; RSS every ${INTERVAL}s"
GOMAXPROCS=1 taskset -c 1 "$MAYFLY" run --url "$URL" --rate "$RATE" --duration "${MINUTES}m" -q --no-color \
	--out "$WORK/results" >"$WORK/mayfly.out" 2>"$WORK/mayfly.err" &
pid=$!
track_pid "$pid"

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }

start=$SECONDS
deadline=$((start + MINUTES * 60 + 120))
ref=""
last=""
printf '%6s %9s\n' "t (s)" "RSS MiB"
next=$((start + INTERVAL))
while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
	if ((SECONDS >= next)); then
		r=$(rss_kib "$pid")
		if [[ -n "$r" ]]; then
			t=$((SECONDS - start))
			printf '%6d %9.1f\n' "$t" "$(python3 -c "print($r / 1024)")"
			last=$r
			if [[ -z "$ref" ]] && ((t >= 60)); then ref=$r; fi
		fi
		next=$((next + INTERVAL))
	fi
	sleep 0.5
done
rc=0
wait "$pid" || rc=$?
echo "mayfly exited with $rc"
if [[ -f "$WORK/results/summary.json" ]]; then
	jq -r '"requests \(.total.count), \(.total.rps) req/s, errors \(.total.errors), dropped \(.total.dropped), late \(.total.late), p99 \(.total.latency.p99) ms, generator_bound \(.generator_bound)"' \
		"$WORK/results/summary.json"
fi

if [[ -z "$ref" || -z "$last" ]]; then
	echo "no RSS sample at minute 1 and at the end" >&2
	exit 1
fi
python3 - "$ref" "$last" "$BOUND" <<'EOF'
import sys
ref, last, bound = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
g = last / ref
print(f"RSS minute 1: {ref / 1024:.1f} MiB, end: {last / 1024:.1f} MiB, growth {(g - 1) * 100:+.1f}% (bound: {bound}x)")
sys.exit(0 if g <= bound else 1)
EOF
