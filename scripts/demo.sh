#!/usr/bin/env bash
# The whole thing, end to end, on this machine: starts the local stack, loads the sample shop
# database into the source, builds and starts pg-caravan, triggers the sample job over HTTP,
# follows the run and prints its verification table. Run as root from the repository root; the app
# itself runs as the unprivileged user "caravan" (scripts/local-stack.sh makes it).
#   --keep   leave the app running afterwards (http://127.0.0.1:8080)
set -euo pipefail
cd "$(dirname "$0")/.."

STACK_DIR=${CARAVAN_STACK_DIR:-/var/lib/pg-caravan-stack}
API=http://127.0.0.1:8080
KEEP=0; [ "${1:-}" = --keep ] && KEEP=1

say() { echo "==> $*"; }
# aligns tab-separated columns (column(1) is not on a minimal Debian)
table() { awk -F'\t' '{ for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
                        if (NF > n) n = NF }
                      END { for (r = 1; r <= NR; r++) { line = ""
                              for (i = 1; i <= n; i++) line = line sprintf(i < n ? "%-" w[i] + 2 "s" : "%s", cell[r, i])
                              print line } }'; }

say "local stack"
./scripts/local-stack.sh

say "sample database 'shop' on the source (127.0.0.1:55432); destination 'shop_migrated' dropped"
psql_as_postgres() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_as_postgres -p 55432 -d postgres -c 'DROP DATABASE IF EXISTS shop' -c 'CREATE DATABASE shop OWNER caravan_admin'
psql_as_postgres -p 55432 -d shop -c 'SET ROLE caravan_admin' -f - < scripts/sample-db.sql
psql_as_postgres -p 55433 -d postgres -c 'DROP DATABASE IF EXISTS shop_migrated'

say "build"
./mvnw -B -q package -DskipTests

# Not as root: as the local stack's user "caravan", which may read its own secrets and, through
# group caravan-drop, the drop directory, and nothing else of the stack. It gets its own copy of
# the packaged app (a clone under a private home directory is not readable by another user) and
# its own data directory.
APP_USER=caravan
APP_DIR=$STACK_DIR/app
DATA_DIR=$STACK_DIR/demo-data
say "start pg-caravan as user $APP_USER (app in $APP_DIR, state in $DATA_DIR)"
rm -rf "$APP_DIR.new"
mkdir -p "$APP_DIR.new"
cp -r target/quarkus-app config "$APP_DIR.new/"
chmod -R u=rwX,go=rX "$APP_DIR.new"
rm -rf "$APP_DIR"
mv "$APP_DIR.new" "$APP_DIR"
install -d -o "$APP_USER" -g "$APP_USER" -m 0700 "$DATA_DIR"
mkdir -p data
# setpriv and env replace themselves: $APP is the app's own process
setpriv --reuid="$APP_USER" --regid="$APP_USER" --init-groups -- \
  env -C "$APP_DIR" MALLOC_ARENA_MAX=2 java @config/jvm.options -Dquarkus.config.locations=config/local-stack.properties \
  -Dcaravan.data-dir="$DATA_DIR" -jar quarkus-app/quarkus-run.jar > data/demo-app.log 2>&1 &
APP=$!
stop_app() { [ $KEEP = 1 ] || kill "$APP" 2>/dev/null || true; }
trap stop_app EXIT
for _ in $(seq 1 120); do
  curl -fs "$API/q/health/ready" >/dev/null 2>&1 && break
  kill -0 "$APP" 2>/dev/null || { echo "pg-caravan did not start; see data/demo-app.log" >&2; tail -20 data/demo-app.log >&2; exit 1; }
  sleep 0.5
done

# the API password goes to curl on stdin, never on its command line
api() { printf 'user = "operator:%s"\n' "$(cat "$STACK_DIR/secrets/api.password")" | curl -fsS -K - "$@"; }

say "POST $API/api/jobs/sample/runs"
active=$(api "$API/api/runs?job=sample&status=RUNNING&limit=1" | jq -r '.[0].id // empty')
if [ -n "$active" ]; then
  # a run an earlier, interrupted demo left behind resumes on start; a job never runs twice at once
  RUN=$active
  echo "run $RUN of an earlier demo resumed; following it"
else
  RUN=$(api -X POST -H 'Content-Type: application/json' -d '{}' "$API/api/jobs/sample/runs" | jq -r .id)
  echo "run $RUN"
fi

last=""
deadline=$((SECONDS + 1800))
while :; do
  view=$(api "$API/api/runs/$RUN")
  status=$(jq -r .status <<<"$view")
  line=$(jq -r '[.stages[] | "\(.name):\(.status)"] | join("  ")' <<<"$view")
  [ "$line" != "$last" ] && echo "   $status  $line" && last=$line
  case $status in SUCCEEDED|FAILED) break ;; esac
  [ $SECONDS -lt $deadline ] || { echo "run $RUN did not finish within 30 minutes" >&2; exit 1; }
  sleep 1
done

echo
jq -r '"precheck:", (.precheck // [] | .[] | "  \(.status)  \(.item): \(.message)")' <<<"$view"
echo
echo "verification (exact row counts, FROM ONLY per table / leaf partition):"
jq -r '.verification.tables // [] | (["table","kind","source","destination","match"] | @tsv),
       (.[] | ["\(.schema).\(.table)", .kind, .sourceRows, .destinationRows, (if .match then "yes" else "NO" end)] | @tsv)' \
   <<<"$view" | table
echo
echo "run $RUN: $status $(jq -r '.error // ""' <<<"$view")"
[ $KEEP = 1 ] && echo "pg-caravan keeps running at $API (pid $APP, log data/demo-app.log)"
[ "$status" = SUCCEEDED ]
