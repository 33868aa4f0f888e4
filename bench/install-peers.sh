#!/usr/bin/env bash
# Installs the load generators Mayfly is compared with:
#   wrk, h2load (nghttp2-client) and GNU time from Debian;
#   k6, vegeta and hey with `go install` (into $(go env GOPATH)/bin).
# Idempotent: whatever is already on PATH is skipped. A peer that fails to
# install is reported, not fatal: the other scripts skip missing peers.
#
# Usage: bench/install-peers.sh
set -euo pipefail

GOBIN_DIR="$(go env GOBIN)"
[[ -n "$GOBIN_DIR" ]] || GOBIN_DIR="$(go env GOPATH)/bin"
export PATH="$GOBIN_DIR:$PATH"

failed=()
have() { command -v "$1" >/dev/null 2>&1; }

# --- Debian packages -------------------------------------------------------
apt_pkgs=()
have wrk || apt_pkgs+=(wrk)
have h2load || apt_pkgs+=(nghttp2-client)
[[ -x /usr/bin/time ]] || apt_pkgs+=(time)
if ((${#apt_pkgs[@]} > 0)); then
	sudo=()
	[[ $(id -u) -eq 0 ]] || sudo=(sudo)
	echo "apt-get install ${apt_pkgs[*]}"
	if "${sudo[@]}" apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null; then
		:
	else
		echo "apt-get install ${apt_pkgs[*]} failed" >&2
	fi
fi
for t in wrk h2load; do have "$t" || failed+=("$t"); done
[[ -x /usr/bin/time ]] || failed+=(time)

# --- Go tools --------------------------------------------------------------
# name  module@version (k6 is a big build: several minutes on 2 cores)
go_tools=(
	"hey github.com/rakyll/hey@latest"
	"vegeta github.com/tsenart/vegeta/v12@latest"
	"k6 go.k6.io/k6@latest"
)
for entry in "${go_tools[@]}"; do
	name=${entry%% *}
	mod=${entry#* }
	if have "$name"; then
		echo "$name: already installed ($(command -v "$name"))"
		continue
	fi
	echo "go install $mod"
	if ! GOFLAGS=-mod=mod go install "$mod"; then
		echo "$name: go install $mod failed" >&2
	fi
	have "$name" || failed+=("$name")
done

echo
for t in wrk h2load hey vegeta k6; do
	if have "$t"; then
		printf '%-7s %s\n' "$t" "$(command -v "$t")"
	else
		printf '%-7s MISSING (skipped by the benchmarks)\n' "$t"
	fi
done
if ((${#failed[@]} > 0)); then
	echo "not installed: ${failed[*]}" >&2
fi
exit 0
