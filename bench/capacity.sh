#!/usr/bin/env bash
# Capacity: how many requests per second each generator gets out of one
# core, and what each request costs it.
#
# The demo target (GET /ok, 20-byte body) runs on core 0 with GOMAXPROCS=1;
# each generator in turn runs on core 1 (GOMAXPROCS=1 for the Go tools) with
# 50 keep-alive connections, as fast as it can, for SECONDS: wrk, h2load,
# hey, vegeta, k6 and Mayfly (closed model, 50 VUs). GNU time measures each
# generator's own CPU (user+sys) and peak RSS; requests and req/s come from
# each tool's own summary. Prints a table per round, then the medians over
# the rounds. Peers that are not installed (bench/install-peers.sh) are
# skipped.
#
# Goal (the issue): Mayfly >= 0.9x wrk's req/s in the same round and
# <= 20 us of CPU per request.
#
# Usage: bench/capacity.sh [ROUNDS=3] [SECONDS=10]
set -euo pipefail

ROUNDS=${1:-3}
SECS=${2:-10}
CONNS=50

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_init capacity

build_mayfly
PORT=$(free_port)
URL="http://127.0.0.1:$PORT/ok"
start_target "$PORT"
echo "target: $URL (core 0, GOMAXPROCS=1); generators on core 1; $CONNS connections, ${SECS}s, $ROUNDS round(s)"

cat >"$WORK/k6.js" <<'EOF'
import http from 'k6/http';
export const options = {
  discardResponseBodies: true,
  scenarios: { s: { executor: 'constant-vus', vus: Number(__ENV.VUS), duration: __ENV.DURATION } },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
};
export default function () { http.get(__ENV.URL); }
export function handleSummary(data) { return { [__ENV.SUMMARY]: JSON.stringify(data) }; }
EOF

TOOLS=()
for t in wrk h2load hey vegeta k6; do
	if have "$t"; then TOOLS+=("$t"); else echo "skipping $t: not installed (bench/install-peers.sh)"; fi
done
TOOLS+=(mayfly)

# run_tool TOOL PREFIX: runs one generator; leaves its summary in PREFIX.sum.
run_tool() {
	local tool=$1 p=$2
	case $tool in
	wrk)
		timed "$p" wrk -t1 -c"$CONNS" -d"${SECS}s" --latency "$URL"
		cp "$p.out" "$p.sum"
		;;
	h2load)
		timed "$p" h2load --h1 -c"$CONNS" -t1 -D "$SECS" "$URL"
		cp "$p.out" "$p.sum"
		;;
	hey)
		timed "$p" hey -c "$CONNS" -z "${SECS}s" "$URL"
		cp "$p.out" "$p.sum"
		;;
	vegeta)
		# The attack writes its results to a file; the report reads it after
		# the attack, so that only the attack is measured and on core 1.
		echo "GET $URL" >"$p.targets"
		timed "$p" vegeta attack -targets="$p.targets" -rate=0 -max-workers="$CONNS" -workers="$CONNS" \
			-duration="${SECS}s" -output="$p.bin"
		vegeta report -type=json "$p.bin" >"$p.sum"
		rm -f "$p.bin"
		;;
	k6)
		timed "$p" k6 run --quiet --no-usage-report --no-color -e URL="$URL" -e VUS="$CONNS" \
			-e DURATION="${SECS}s" -e SUMMARY="$p.sum" "$WORK/k6.js"
		;;
	mayfly)
		local rc=0
		timed "$p" "$MAYFLY" run --url "$URL" --vus "$CONNS" --duration "${SECS}s" -q --no-color \
			--out "$p.results" || rc=$?
		# 110 = generator-bound: still a measurement.
		[[ $rc -eq 0 || $rc -eq 110 ]] || return "$rc"
		cp "$p.results/summary.json" "$p.sum"
		;;
	esac
}

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
for ((r = 1; r <= ROUNDS; r++)); do
	echo
	echo "round $r/$ROUNDS"
	printf '%-8s %10s %10s %9s %12s %9s\n' tool requests "req/s" "x wrk" "CPU us/req" "RSS MiB"
	wrk_rps=""
	for tool in "${TOOLS[@]}"; do
		p="$WORK/r$r-$tool"
		sleep 1 # let the previous tool's connections close
		if ! run_tool "$tool" "$p" || [[ ! -s "$p.sum" ]]; then
			echo "$tool: failed (see below); skipped this round" >&2
			tail -n 5 "$p.err" >&2 || true
			continue
		fi
		read -r count rps _ <<<"$(python3 "$BENCH_DIR/parse.py" "$tool" "$p.sum")"
		read -r cpu rss <<<"$(time_fields "$p")"
		[[ $tool == wrk ]] && wrk_rps=$rps
		python3 - "$tool" "$count" "$rps" "$cpu" "$rss" "$wrk_rps" <<'EOF' | tee -a "$RESULTS"
import sys
tool, count, rps, cpu, rss, wrk = sys.argv[1:]
count, rps, cpu, rss = float(count), float(rps), float(cpu), int(rss)
ratio = rps / float(wrk) if wrk else float("nan")
us = cpu * 1e6 / count if count else float("nan")
print(f"{tool:<8} {count:10.0f} {rps:10.0f} {ratio:9.2f} {us:12.1f} {rss / 1024:9.1f}")
EOF
	done
done

echo
echo "medians over $ROUNDS round(s) (ratio: median of each round's tool/wrk)"
python3 - "$RESULTS" "${TOOLS[@]}" <<'EOF'
import math, statistics, sys
path, tools = sys.argv[1], sys.argv[2:]
rows = {}
with open(path) as f:
    for line in f:
        tool, count, rps, ratio, us, rss = line.split()
        rows.setdefault(tool, []).append([float(x) for x in (count, rps, ratio, us, rss)])
def med(vals):
    vals = [v for v in vals if not math.isnan(v)]
    return statistics.median(vals) if vals else float("nan")
print(f"{'tool':<8} {'req/s':>10} {'x wrk':>9} {'CPU us/req':>12} {'RSS MiB':>9}")
for t in tools:
    if t not in rows:
        continue
    cols = list(zip(*rows[t]))
    print(f"{t:<8} {med(cols[1]):10.0f} {med(cols[2]):9.2f} {med(cols[3]):12.1f} {med(cols[4]):9.1f}")
if "mayfly" in rows:
    m = list(zip(*rows["mayfly"]))
    ratio, us = med(m[2]), med(m[3])
    print()
    print(f"goal: mayfly >= 0.90x wrk: {ratio:.2f}x -> {'met' if ratio >= 0.9 else 'MISSED' if not math.isnan(ratio) else 'n/a (no wrk)'}")
    print(f"goal: mayfly <= 20 us CPU/request: {us:.1f} us -> {'met' if us <= 20 else 'MISSED'}")
EOF
