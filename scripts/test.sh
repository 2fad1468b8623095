#!/usr/bin/env bash
# The whole test suite, on a fresh machine as on a developer's: starts the local stack (installing
# PostgreSQL and OpenSSH server from the distribution's packages if missing), then runs unit tests,
# the integration tests against the stack, and the tests of the packaged application.
# Also installs what the tests themselves need: chromium and chromedriver for the status page,
# podman (and a base image made with debootstrap) for the container test.
# Run as root from anywhere; extra arguments go to Maven (e.g. -Dtest=MigrationTest).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/local-stack.sh
# the container test builds and runs the image with podman (no Docker engine here)
./scripts/container-setup.sh
# the status page's browser test drives Debian's chromium through chromedriver
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
./mvnw -B verify "$@"
