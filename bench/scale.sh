#!/usr/bin/env bash
# Scale: the memory one idle virtual user costs.
#
# The demo target (core 0, GOMAXPROCS=1) answers GET /slow?ms=2000 after two
# seconds, so Mayfly's VUs (core 1) spend nearly all their time waiting: a
# closed-model run with VUS users for SECONDS holds VUS connections open.
# The script samples Mayfly's RSS (VmRSS in /proc/PID/status) every 0.5 s
# and takes the plateau (the median of the samples of the middle half of the
# run), once with 10 VUs (the baseline) and once with VUS, and prints
#     RSS per VU = (RSS(VUS) - RSS(10)) / (VUS - 10)
# and the established connections to the target at the plateau.
#
# Each VU holds one TCP connection, with fasthttp's per-connection read and
# write buffers (4 KiB each by default) and its request/response objects:
# the figure is per VU *including* its connection. The kernel's socket
# buffers are not in the process's RSS.
#
# Goal (the issue): <= 4 KiB per idle VU beyond its connection.
#
# Usage: bench/scale.sh [VUS=10000] [SECONDS=10]
set -euo pipefail

VUS=${1:-10000}
SECS=${2:-10}
BASE_VUS=10

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init scale

# Each VU needs a descriptor in Mayfly and one in the target.
need=$((VUS + 1000))
if (($(ulimit -n) < need)); then
	ulimit -n "$need" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
fi
echo "open files limit: $(ulimit -n)"

build_mayfly
PORT=$(free_port)
URL="http://127.0.0.1:$PORT/slow?ms=2000"
start_target "$PORT"

# measure N: runs Mayfly with N VUs; prints "plateau_rss_kib connections".
measure() {
	local n=$1
	local p="$WORK/vus$n" pid t samples=() conns=0 c
	GOMAXPROCS=1 taskset -c 1 "$MAYFLY" run --url "$URL" --vus "$n" --duration "${SECS}s" -q --no-color \
		--timeout 30s --out "$p.results" >"$p.out" 2>"$p.err" &
	pid=$!
	track_pid "$pid"
	local end=$((SECONDS + SECS + 60))
	while kill -0 "$pid" 2>/dev/null && ((SECONDS < end)); do
		t=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
		[[ -n "$t" ]] && samples+=("$t")
		# Connections to the target (the local side is Mayfly's).
		c=$(ss -Htn state established "( dport = :$PORT )" 2>/dev/null | wc -l)
		((c > conns)) && conns=$c
		sleep 0.5
	done
	stop_pid "$pid"
	python3 - "$conns" "${samples[@]}" <<'EOF'
import statistics, sys
conns, s = sys.argv[1], [int(x) for x in sys.argv[2:]]
n = len(s)
mid = s[n // 4: max(n // 4 + 1, 3 * n // 4)] or s or [0]
print(int(statistics.median(mid)), conns, max(s or [0]))
EOF
}

echo "baseline: $BASE_VUS VUs for ${SECS}s against $URL"
read -r base_rss base_conns base_peak <<<"$(measure "$BASE_VUS")"
echo "  RSS plateau $((base_rss / 1024)) MiB (peak $((base_peak / 1024)) MiB), $base_conns connections"
sleep 2
echo "scale: $VUS VUs for ${SECS}s"
read -r rss conns peak <<<"$(measure "$VUS")"
echo "  RSS plateau $((rss / 1024)) MiB (peak $((peak / 1024)) MiB), $conns connections"

python3 - "$base_rss" "$rss" "$BASE_VUS" "$VUS" "$conns" <<'EOF'
import sys
base, rss, b, n, conns = (int(x) for x in sys.argv[1:])
per = (rss - base) / (n - b)
print()
print(f"RSS per idle VU: ({rss} - {base}) KiB / ({n} - {b}) = {per:.1f} KiB")
print(f"established connections at the plateau: {conns} (VUs: {n})")
print("note: each VU holds one TCP connection with fasthttp read/write buffers (4 KiB + 4 KiB by default);")
print("      the figure above includes them. Goal: <= 4 KiB per VU beyond its connection.")
EOF
