#!/usr/bin/env bash
# The newcomer check: the README's first set-up command (the demo, a real migration end to end)
# from a clean clone, in a fresh minimal Debian 12 container that has nothing but JDK 17, Maven,
# git, curl and the PostgreSQL client. Whatever the demo needs beyond that, it must install itself.
# The container gets the host's trust store (a copy of /etc/ssl/certs, Java's cacerts included, and
# the local CAs update-ca-certificates builds it from) so that it reaches the package registries
# through a TLS-inspecting proxy as the host does. The copy is writable because packages the demo
# installs write there (ssl-cert's snakeoil certificate). Its network is its own namespace
# (podman's bridge), so its local stack's ports do not meet the host's.
# The demo runs twice, the second time on what the first left, as a user who runs it again does.
# Run as root from anywhere; exits non-zero unless both printed the verification table and both
# runs SUCCEEDED.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/container-setup.sh
image=pg-caravan-newcomer:bookworm
podman build -q -t "$image" -f .ci/newcomer/Containerfile .ci/newcomer >/dev/null

# a clean clone of what is committed (not the work tree, not target/, not data/)
work=$(mktemp -d /var/tmp/pg-caravan-newcomer.XXXXXX)
trap 'rm -rf "$work"' EXIT
git clone -q --no-local "$PWD" "$work/repo"
cp -a /etc/ssl/certs "$work/certs"
local_cas=(); [ -d /usr/local/share/ca-certificates ] && local_cas=(-v /usr/local/share/ca-certificates:/usr/local/share/ca-certificates:ro)
git -C "$work/repo" checkout -q "$(git rev-parse HEAD)"

log=${NEWCOMER_LOG:-data/newcomer.log}
mkdir -p "$(dirname "$log")"
echo "newcomer: the demo in a fresh Debian 12 container (log: $log)"
start=$SECONDS
set +e
podman run --rm --name pg-caravan-newcomer-$$ \
  -v "$work/certs":/etc/ssl/certs "${local_cas[@]}" -v "$work/repo":/src:ro \
  "$image" bash -c 'set -e; git clone -q /src /home/newcomer/pg-caravan; cd /home/newcomer/pg-caravan
                    ./scripts/demo.sh
                    echo "==> once more: the stack and the demo are idempotent"
                    ./scripts/demo.sh' \
  > "$log" 2>&1
rc=$?
set -e
echo "newcomer: the demo exited $rc after $((SECONDS - start)) s"
if [ $rc -ne 0 ] || [ "$(grep -c '^verification (exact row counts' "$log")" != 2 ] \
   || [ "$(grep -Ec '^run .*: SUCCEEDED' "$log")" != 2 ]; then
  echo "newcomer: FAILED; the last lines of its log:" >&2
  tail -40 "$log" >&2
  exit 1
fi
# the second demo's table, as the user sees it
awk '/^verification \(exact row counts/ { block = "" } { block = block $0 "\n" } END { printf "%s", block }' "$log"
