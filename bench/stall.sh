#!/usr/bin/env bash
# Accuracy under stalls (coordinated omission).
#
# The demo target pauses all handling for P=500ms every E=5s (core 0,
# GOMAXPROCS=1). Each generator drives it at a constant RATE for SECONDS
# (core 1): Mayfly (open model), vegeta (-rate), k6 (constant-arrival-rate,
# preAllocatedVUs 100, maxVUs 2000) and hey (-c 50 -q RATE/50: hey's -q is
# per worker). For each: requests sent, p95, p99, max, and the error against
# the true open-loop values, which the script computes from the stall
# geometry:
#
#   With a pause of P every E and arrivals at a constant rate, a request
#   arriving t into a pause waits P - t; one arriving outside a pause waits
#   ~0. So a fraction P/E of the requests is delayed, and their latencies are
#   uniform on [0, P]: P(latency > x) = (P - x)/E for 0 <= x <= P. The
#   q-quantile is the x where that equals 1 - q:
#       x_q = P - (1 - q)·E = P·(1 - (1 - q)·E/P)      (0 if negative)
#   p95 = 500 - 0.05·5000 = 250 ms, p99 = 500 - 0.01·5000 = 450 ms,
#   max = P = 500 ms, and RATE·SECONDS requests (20,000).
#
# A closed-loop generator (hey) waits for the stalled responses before it
# sends more, so it sends fewer requests and misses most of the delay.
#
# Goal (the issue): Mayfly's p95/p99/max within 5% of the true values and
# all RATE·SECONDS requests sent.
#
# Usage: bench/stall.sh [SECONDS=20] [RATE=1000]
set -euo pipefail

SECS=${1:-20}
RATE=${2:-1000}
STALL_EVERY_MS=5000
STALL_FOR_MS=500
HEY_WORKERS=50

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init stall

build_mayfly
PORT=$(free_port)
URL="http://127.0.0.1:$PORT/ok"
start_target "$PORT" --stall-every "${STALL_EVERY_MS}ms" --stall-for "${STALL_FOR_MS}ms"
echo "target: $URL pausing ${STALL_FOR_MS}ms every ${STALL_EVERY_MS}ms (core 0); ${RATE} req/s for ${SECS}s (core 1)"

cat >"$WORK/k6.js" <<'EOF'
import http from 'k6/http';
export const options = {
  discardResponseBodies: true,
  scenarios: {
    s: {
      executor: 'constant-arrival-rate', rate: Number(__ENV.RATE), timeUnit: '1s',
      duration: __ENV.DURATION, preAllocatedVUs: 100, maxVUs: 2000,
    },
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};
export default function () { http.get(__ENV.URL); }
export function handleSummary(data) { return { [__ENV.SUMMARY]: JSON.stringify(data) }; }
EOF

TOOLS=(mayfly)
for t in vegeta k6 hey; do
	if have "$t"; then TOOLS+=("$t"); else echo "skipping $t: not installed (bench/install-peers.sh)"; fi
done

notes=()
run_tool() {
	local tool=$1 p=$2 rc=0
	case $tool in
	mayfly)
		timed "$p" "$MAYFLY" run --url "$URL" --rate "$RATE" --duration "${SECS}s" -q --no-color \
			--out "$p.results" || rc=$?
		[[ $rc -eq 0 || $rc -eq 110 ]] || return "$rc"
		cp "$p.results/summary.json" "$p.sum"
		notes+=("mayfly: $(jq -r '"dropped \(.total.dropped), late \(.total.late), generator_bound \(.generator_bound) \(.generator_bound_reason)"' "$p.sum")")
		;;
	vegeta)
		echo "GET $URL" >"$p.targets"
		timed "$p" vegeta attack -targets="$p.targets" -rate="$RATE" -duration="${SECS}s" -output="$p.bin"
		vegeta report -type=json "$p.bin" >"$p.sum"
		;;
	k6)
		timed "$p" k6 run --quiet --no-usage-report --no-color -e URL="$URL" -e RATE="$RATE" \
			-e DURATION="${SECS}s" -e SUMMARY="$p.sum" "$WORK/k6.js"
		notes+=("k6: dropped_iterations $(jq -r '.metrics.dropped_iterations.values.count // 0' "$p.sum"), max VUs $(jq -r '.metrics.vus_max.values.max // "?"' "$p.sum")")
		;;
	hey)
		local q
		q=$(python3 -c "print(max(1, round($RATE / $HEY_WORKERS)))")
		timed "$p" hey -c "$HEY_WORKERS" -q "$q" -z "${SECS}s" "$URL"
		cp "$p.out" "$p.sum"
		;;
	esac
}

RESULTS="$WORK/results.txt"
: >"$RESULTS"
for tool in "${TOOLS[@]}"; do
	p="$WORK/$tool"
	sleep 1
	echo "running $tool..."
	if ! run_tool "$tool" "$p" || [[ ! -s "$p.sum" ]]; then
		echo "$tool: failed; skipped" >&2
		tail -n 5 "$p.err" >&2 || true
		continue
	fi
	echo "$tool $(python3 "$BENCH_DIR/parse.py" "$tool" "$p.sum")" >>"$RESULTS"
done

echo
python3 - "$RESULTS" "$SECS" "$RATE" "$STALL_EVERY_MS" "$STALL_FOR_MS" <<'EOF'
import sys
path, secs, rate, every, pause = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])

def quantile(q):
    # See the header: x_q = P - (1 - q)·E, floored at 0 (no delay).
    return max(0.0, pause - (1 - q) * every)

true = {"count": rate * secs, "p95": quantile(0.95), "p99": quantile(0.99), "max": pause}

def err(v, t):
    return (v - t) / t * 100 if t else float("nan")

print(f"{'':<7} {'requests':>9} {'err%':>7} {'p95 ms':>8} {'err%':>7} {'p99 ms':>8} {'err%':>7} {'max ms':>8} {'err%':>7}")
print(f"{'true':<7} {true['count']:9.0f} {'':>7} {true['p95']:8.1f} {'':>7} {true['p99']:8.1f} {'':>7} {true['max']:8.1f}")
mayfly_ok = None
with open(path) as f:
    for line in f:
        tool, *vals = line.split()
        count, _rps, p95, p99, mx = (float(v) for v in vals)
        e = [err(count, true["count"]), err(p95, true["p95"]), err(p99, true["p99"]), err(mx, true["max"])]
        print(f"{tool:<7} {count:9.0f} {e[0]:+7.1f} {p95:8.1f} {e[1]:+7.1f} {p99:8.1f} {e[2]:+7.1f} {mx:8.1f} {e[3]:+7.1f}")
        if tool == "mayfly":
            mayfly_ok = all(abs(x) <= 5 for x in e[1:]) and count >= true["count"]
if mayfly_ok is not None:
    print()
    print(f"goal: mayfly p95/p99/max within 5% of the true values and all {true['count']:.0f} requests sent -> {'met' if mayfly_ok else 'MISSED'}")
EOF
for n in "${notes[@]}"; do echo "$n"; done
