#!/usr/bin/env bash
# The whole test suite, on a fresh machine as on a developer's: starts the local stack (installing
# PostgreSQL and OpenSSH server from the distribution's packages if missing), then runs unit tests,
# the integration tests against the stack, and the tests of the packaged application.
# Run as root from anywhere; extra arguments go to Maven (e.g. -Dtest=MigrationTest).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/local-stack.sh
./mvnw -B verify "$@"
