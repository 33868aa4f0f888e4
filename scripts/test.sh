#!/usr/bin/env bash
# Runs Mayfly's tests on a fresh Debian machine with Go: installs what the
# tests need, then vets and tests every package. CI calls this script.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
if ! need go; then
  echo "scripts/test.sh: Go is required (https://go.dev/doc/install)" >&2
  exit 1
fi

# The environment tests start real PostgreSQL clusters from the server
# binaries (initdb, postgres); Debian's postgresql package has them.
if ! need initdb && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "scripts/test.sh: installing PostgreSQL server binaries (apt-get install postgresql)" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
fi

go vet ./...
# -race on the engine, where goroutines meet; the rest plainly, for time.
go test -count=1 -race ./load/... ./hist/... ./slo/... ./feed/... ./request/...
go test -count=1 ./...
