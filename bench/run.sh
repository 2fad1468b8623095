#!/usr/bin/env bash
# The benchmark, from a fresh machine after the README's set-up: starts the local stack, installs
# pgcopydb, builds pg-caravan and runs bench/bench.py (its options pass through, see --help).
# Run as root from anywhere. Results: data/bench/report.md and data/bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/local-stack.sh
command -v pgcopydb >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgcopydb >/dev/null
command -v sftp >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssh-client >/dev/null
command -v python3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 >/dev/null
# the shaped link (--links 100mbit,1gbit): a network namespace, tc and a forwarder (bench/link.py)
command -v socat >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq socat >/dev/null
command -v tc >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iproute2 >/dev/null
./mvnw -B -q package -DskipTests
exec python3 bench/bench.py "$@"
