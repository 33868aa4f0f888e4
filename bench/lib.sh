#!/usr/bin/env bash
# Shared helpers of the bench/ scripts; sourced, not run.
#
# Everything a script starts is registered with track_pid and stopped by the
# EXIT trap that bench_init installs: the target, generators, samplers.
# Traffic goes to 127.0.0.1 only.

# shellcheck disable=SC2034 # variables are used by the scripts that source this

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
MAYFLY="$REPO_DIR/bin/mayfly"
GOBIN_DIR="$(go env GOBIN 2>/dev/null || true)"
[[ -n "$GOBIN_DIR" ]] || GOBIN_DIR="$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"
export PATH="$GOBIN_DIR:$PATH"

TIME=/usr/bin/time
PIDS=()
GROUPS_STARTED=() # process groups (setsid) this script started
WORK=""

# bench_init NAME: a scratch directory ($WORK) and the cleanup trap.
bench_init() {
	WORK="$(mktemp -d "/tmp/mayfly-bench-$1.XXXXXX")"
	trap bench_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

track_pid() { PIDS+=("$1"); }

# stop_pid PID: SIGTERM, then SIGKILL after 5 s.
stop_pid() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
	local pid
	for pid in "${GROUPS_STARTED[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -TERM -- "-$pid" 2>/dev/null || true
			sleep 0.5
			kill -KILL -- "-$pid" 2>/dev/null || true
		fi
	done
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	if [[ -n "$WORK" && -d "$WORK" && -z "${KEEP:-}" ]]; then
		rm -rf "$WORK"
	fi
}

have() { command -v "$1" >/dev/null 2>&1; }

build_mayfly() {
	echo "building mayfly ($MAYFLY)" >&2
	(cd "$REPO_DIR" && go build -o "$MAYFLY" ./cmd/mayfly)
}

# free_port: an unused TCP port on 127.0.0.1.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s at most).
wait_port() {
	local i
	for ((i = 0; i < 100; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "nothing listens on 127.0.0.1:$1" >&2
	return 1
}

# start_target PORT [ARGS...]: the demo service on core 0, GOMAXPROCS=1.
# Sets TARGET_PID.
start_target() {
	local port=$1
	shift
	GOMAXPROCS=1 taskset -c 0 "$MAYFLY" target --addr "127.0.0.1:$port" "$@" \
		>"$WORK/target.log" 2>&1 &
	TARGET_PID=$!
	track_pid "$TARGET_PID"
	wait_port "$port"
}

# timed OUT_PREFIX CMD...: runs CMD on core 1 (GOMAXPROCS=1 for Go tools)
# under GNU time. Writes OUT_PREFIX.out (stdout), .err (stderr) and .time
# ("user sys maxrss_kib"). Returns CMD's exit status.
timed() {
	local out=$1
	shift
	local rc=0 pid
	# In its own process group (setsid), so that the cleanup stops time and
	# the tool together; waited for in the background, so that a signal to
	# the script is handled at once.
	GOMAXPROCS=1 setsid "$TIME" -f '%U %S %M' -o "$out.time" \
		taskset -c 1 "$@" >"$out.out" 2>"$out.err" </dev/null &
	pid=$!
	GROUPS_STARTED+=("$pid")
	wait "$pid" || rc=$?
	return "$rc"
}

# time_field OUT_PREFIX: "cpu_seconds maxrss_kib" from the .time file (GNU
# time may write a "Command exited with non-zero status" line first).
time_fields() {
	tail -n 1 "$1.time" | awk '{printf "%.3f %d\n", $1 + $2, $3}'
}
