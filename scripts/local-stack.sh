#!/usr/bin/env bash
# Starts the local stack pg-caravan's demo and tests run against, all on 127.0.0.1:
#   - a source PostgreSQL cluster        (port 55432, cluster "caravan_src")
#   - a destination PostgreSQL cluster   (port 55433, cluster "caravan_dst")
#   - a managed-like destination cluster (port 55434, cluster "caravan_managed"), set up as RDS,
#     ApsaraDB RDS and PolarDB are: the bootstrap superuser is the provider's ("rdsadmin", which
#     pg-caravan never uses), and the customers' master users are NOSUPERUSER CREATEDB CREATEROLE
#     members of rds_superuser / polar_superuser: caravan_admin (named like the source's
#     administrator, as is usual on RDS), caravan_master (another name) and polar_master (PolarDB)
#   - an sshd acting as the intermediate host (port 2222, user "caravan-drop", key auth only,
#     drop directory $STACK_DIR/drop)
#   - the user "caravan" the app runs as (scripts/demo.sh, the split-deployment test): no login,
#     not root; a member of group caravan-drop, which is how it reads the deliveries and writes
#     its results into them (the drop directory is 2770 and the sshd's umask 0007, so what the
#     SFTP account creates is its group's), and of nothing else
# Installs what is missing from the distribution's packages. Run as root. Idempotent: a second
# run changes nothing and restarts only what is down.
#
# Credentials are generated once and kept under $STACK_DIR (0600 files, or 0640 with group caravan
# for those the app reads; never printed):
#   secrets/source.password, secrets/destination.password   (role caravan_admin on each cluster)
#   secrets/managed.password        (the three master users of the managed-like cluster)
#   secrets/managed-admin.password  (its bootstrap superuser rdsadmin: for tests' checks only)
#   client/id_ed25519, client/known_hosts                    (the app's SSH identity and trust)
#   secrets/api.password                                     (the API user "operator" of the demo)
set -euo pipefail

STACK_DIR=${CARAVAN_STACK_DIR:-/var/lib/pg-caravan-stack}
SRC_PORT=${CARAVAN_SOURCE_PORT:-55432}
DST_PORT=${CARAVAN_DESTINATION_PORT:-55433}
MANAGED_PORT=${CARAVAN_MANAGED_PORT:-55434}
SSH_PORT=${CARAVAN_SSH_PORT:-2222}
DROP_USER=caravan-drop
APP_USER=caravan
ADMIN_ROLE=caravan_admin

log() { echo "[local-stack] $*"; }
[ "$(id -u)" = 0 ] || { echo "local-stack.sh must run as root (it installs packages and starts servers)" >&2; exit 1; }

install_packages() {
  local missing=()
  if ! command -v pg_createcluster >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql postgresql-contrib)
  fi
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v ssh-keygen >/dev/null || missing+=(openssh-client)
  command -v curl >/dev/null || missing+=(curl)
  command -v jq >/dev/null || missing+=(jq)
  command -v locale-gen >/dev/null || missing+=(locales)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v xz >/dev/null || missing+=(xz-utils)   # the tests unpack other majors' server binaries (.txz)
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  # Package installs must not start services or create a default cluster: this stack starts its
  # own servers, on loopback only. createcluster.conf is the package's own file (its defaults give
  # new clusters conf.d, SSL and more), so this only adds a drop-in in the directory it includes.
  mkdir -p /etc/postgresql-common/createcluster.d
  echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.d/pg-caravan-stack.conf
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e $policy ] && had_policy=1
  if [ $had_policy = 0 ]; then
    printf '#!/bin/sh\nexit 101\n' > $policy; chmod 755 $policy
    trap "rm -f $policy" EXIT   # also when the install fails: later service starts must not be blocked
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  local out; out=$(mktemp)
  apt-get install -y -q --no-install-recommends "${missing[@]}" >"$out" 2>&1 \
    || { tail -30 "$out" >&2; rm -f "$out"; echo "local-stack: installing ${missing[*]} failed" >&2; exit 1; }
  rm -f "$out"
  [ $had_policy = 1 ] || rm -f $policy
}

ensure_locales() {
  # the clusters are created in C.UTF-8; en_US.UTF-8 lets tests use a non-default collation
  if ! locale -a 2>/dev/null | grep -qi '^en_US\.utf-\?8$'; then
    sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' /etc/locale.gen 2>/dev/null || true
    grep -q '^en_US.UTF-8 UTF-8' /etc/locale.gen 2>/dev/null || echo 'en_US.UTF-8 UTF-8' >> /etc/locale.gen
    locale-gen >/dev/null
  fi
}

pg_major() { ls -d /usr/lib/postgresql/*/bin/initdb | sed 's#.*/postgresql/\([0-9]*\)/.*#\1#' | sort -n | tail -1; }

secret() { # secret FILE: print the secret kept in FILE, creating it once
  local f=$STACK_DIR/secrets/$1
  if [ ! -s "$f" ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$f")
  fi
  cat "$f"
}

ensure_cluster() { # ensure_cluster NAME PORT PASSWORD_FILE
  local name=$1 port=$2 pwfile=$3 ver
  ver=$(pg_major)
  if ! pg_lsclusters -h | awk '{print $2}' | grep -qx "$name"; then
    log "creating cluster $ver/$name on 127.0.0.1:$port"
    # loopback only, and SSL as managed services require it (the package's default is ssl = on
    # with the snakeoil certificate; ensure_ssl below makes sure of it whatever the defaults)
    pg_createcluster "$ver" "$name" -p "$port" --locale C.UTF-8 --encoding UTF8 >/dev/null
    # (not pg_createcluster -o or pg_conftool: both write 127.0.0.1 unquoted, as if a number;
    # and not conf.d, which a createcluster.conf changed by hand may not give; the last line wins)
    printf "# pg-caravan local stack\nlisten_addresses = '127.0.0.1'\n" >> "/etc/postgresql/$ver/$name/postgresql.conf"
  fi
  ensure_ssl "$(pg_lsclusters -h | awk -v n="$name" '$2==n {print $1}')" "$name"
  local status
  status=$(pg_lsclusters -h | awk -v n="$name" '$2==n {print $4}')
  if [ "$status" != online ]; then
    log "starting cluster $name"
    pg_ctlcluster "$(pg_lsclusters -h | awk -v n="$name" '$2==n {print $1}')" "$name" start
  fi
  # the admin role, its password set through stdin so it never shows in a process list
  local pw
  pw=$(secret "$pwfile")
  runuser -u postgres -- psql -q -X -p "$port" -d postgres -v ON_ERROR_STOP=1 <<SQL >/dev/null
SELECT 'CREATE ROLE $ADMIN_ROLE LOGIN SUPERUSER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ADMIN_ROLE') \gexec
ALTER ROLE $ADMIN_ROLE PASSWORD '$pw';
-- locales generated after the cluster was created become collations too (the precheck looks there)
SELECT pg_import_system_collations('pg_catalog');
SQL
}

ensure_managed_cluster() { # ensure_managed_cluster NAME PORT: a destination set up as a managed service is
  local name=$1 port=$2 ver provider=rdsadmin
  ver=$(pg_major)
  if ! pg_lsclusters -h | awk '{print $2}' | grep -qx "$name"; then
    log "creating managed-like cluster $ver/$name on 127.0.0.1:$port (bootstrap superuser $provider)"
    pg_createcluster "$ver" "$name" -p "$port" --locale C.UTF-8 --encoding UTF8 -- --username="$provider" >/dev/null
    printf "# pg-caravan local stack\nlisten_addresses = '127.0.0.1'\n" >> "/etc/postgresql/$ver/$name/postgresql.conf"
    # the provider's superuser over the socket for the OS user postgres, as the package's own line does for postgres
    local conf=/etc/postgresql/$ver/$name
    sed -i "s/^local\( *\)all\( *\)postgres\( *\)peer.*/local all $provider peer map=provider/" "$conf/pg_hba.conf"
    echo "provider postgres $provider" >> "$conf/pg_ident.conf"
  fi
  local v
  v=$(pg_lsclusters -h | awk -v n="$name" '$2==n {print $1}')
  ensure_ssl "$v" "$name"
  if [ "$(pg_lsclusters -h | awk -v n="$name" '$2==n {print $4}')" != online ]; then
    log "starting cluster $name"
    # (its start-up check logs in as postgres, a role this cluster does not have, and says so)
    pg_ctlcluster "$v" "$name" start 2>&1 | { grep -v -e 'disabling startup checks' -e 'role "postgres" does not exist' -e '^$' >&2 || true; }
    [ "$(pg_lsclusters -h | awk -v n="$name" '$2==n {print $4}')" = online ] || { echo "cluster $name did not start" >&2; exit 1; }
  fi
  local pw admin
  pw=$(secret managed.password)
  admin=$(secret managed-admin.password)
  runuser -u postgres -- psql -q -X -U "$provider" -p "$port" -d postgres -v ON_ERROR_STOP=1 <<SQL >/dev/null
SET client_min_messages = warning;
ALTER ROLE $provider PASSWORD '$admin';
SELECT 'CREATE ROLE ' || r || ' NOLOGIN' FROM unnest(ARRAY['rds_superuser', 'polar_superuser']) r
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) \gexec
SELECT 'CREATE ROLE ' || m || ' LOGIN' FROM unnest(ARRAY['$ADMIN_ROLE', 'caravan_master', 'polar_master']) m
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = m) \gexec
-- what the services give their master users: no SUPERUSER, CREATEDB and CREATEROLE, the
-- provider's superuser role with ADMIN OPTION (PostgreSQL 16+ needs it to grant that role on)
ALTER ROLE $ADMIN_ROLE NOSUPERUSER CREATEDB CREATEROLE PASSWORD '$pw';
ALTER ROLE caravan_master NOSUPERUSER CREATEDB CREATEROLE PASSWORD '$pw';
ALTER ROLE polar_master NOSUPERUSER CREATEDB CREATEROLE PASSWORD '$pw';
GRANT rds_superuser TO $ADMIN_ROLE, caravan_master WITH ADMIN OPTION;
GRANT polar_superuser TO polar_master WITH ADMIN OPTION;
GRANT pg_signal_backend, pg_monitor TO rds_superuser, polar_superuser;
SELECT pg_import_system_collations('pg_catalog');
SQL
}

ensure_ssl() { # ensure_ssl VERSION NAME: the cluster serves SSL with a certificate it can read
  local ver=$1 name=$2 conf=/etc/postgresql/$1/$2 cert key
  cert=$(pg_conftool -s "$ver" "$name" show ssl_cert_file 2>/dev/null || true)
  key=$(pg_conftool -s "$ver" "$name" show ssl_key_file 2>/dev/null || true)
  if [ "$(pg_conftool -s "$ver" "$name" show ssl 2>/dev/null || true)" = on ] && [ -n "$cert" ] && [ -r "$cert" ] \
     && [ -n "$key" ] && [ -e "$key" ]; then
    return
  fi
  log "cluster $name: a self-signed server certificate for SSL"
  openssl req -new -x509 -days 3650 -nodes -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    -newkey rsa:2048 -keyout "$conf/server.key" -out "$conf/server.crt" 2>/dev/null
  chown postgres:postgres "$conf/server.key" "$conf/server.crt"
  chmod 600 "$conf/server.key"
  pg_conftool "$ver" "$name" set ssl on
  pg_conftool "$ver" "$name" set ssl_cert_file "$conf/server.crt"
  pg_conftool "$ver" "$name" set ssl_key_file "$conf/server.key"
  if pg_lsclusters -h | awk -v n="$name" '$2==n {print $4}' | grep -q online; then
    pg_ctlcluster "$ver" "$name" restart
  fi
}

ensure_sshd() {
  local d=$STACK_DIR/sshd
  mkdir -p "$d" /run/sshd "$STACK_DIR/client"
  chmod 755 "$d"
  if ! id "$DROP_USER" >/dev/null 2>&1; then
    log "creating user $DROP_USER"
    useradd --system --create-home --home-dir "$STACK_DIR/drop-home" --shell /bin/sh "$DROP_USER"
  fi
  # no password at all ("*"), rather than a locked one ("!"), which sshd refuses even for key auth
  usermod -p '*' "$DROP_USER"
  mkdir -p "$STACK_DIR/drop"
  chown "$DROP_USER:$DROP_USER" "$STACK_DIR/drop"
  # setgid: what is made in it belongs to group caravan-drop (the app's way in); nobody else enters
  chmod 2770 "$STACK_DIR/drop"
  [ -f "$d/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C caravan-intermediate -f "$d/ssh_host_ed25519_key"
  # (made owner only; ensure_app_user opens it to the app's group, and a second run changes nothing)
  [ -f "$STACK_DIR/client/id_ed25519" ] || { ssh-keygen -q -t ed25519 -N '' -C pg-caravan -f "$STACK_DIR/client/id_ed25519"
                                             chmod 600 "$STACK_DIR/client/id_ed25519"; }
  install -m 644 "$STACK_DIR/client/id_ed25519.pub" "$d/authorized_keys.$DROP_USER"
  echo "[127.0.0.1]:$SSH_PORT $(cut -d' ' -f1,2 "$d/ssh_host_ed25519_key.pub")" > "$STACK_DIR/client/known_hosts"
  cat > "$d/sshd_config" <<CONF
# sshd for pg-caravan's local stack: the intermediate host, on loopback only
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys.%u
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers $DROP_USER
UsePAM no
StrictModes yes
MaxStartups 100:30:200
ClientAliveInterval 15
# what the SFTP account creates is its group's too (the app reads it and writes its results next to it)
Subsystem sftp internal-sftp -u 0007
CONF
  # the pid file outlives a reboot: only a live sshd of this config counts
  if [ -f "$d/sshd.pid" ] && tr '\0' ' ' < "/proc/$(cat "$d/sshd.pid")/cmdline" 2>/dev/null | grep -q "sshd -f $d/sshd_config"; then
    kill -HUP "$(cat "$d/sshd.pid")"   # re-read the config written above
  else
    log "starting sshd on 127.0.0.1:$SSH_PORT"
    /usr/sbin/sshd -t -f "$d/sshd_config"
    /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log"
  fi
}

ensure_app_user() { # the unprivileged user the app runs as, and what it may read
  if ! id "$APP_USER" >/dev/null 2>&1; then
    log "creating user $APP_USER (the app's)"
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group "$APP_USER"
  fi
  usermod -a -G "$DROP_USER" "$APP_USER"
  # the app's secrets: its logins, its SSH identity and trust, the demo's API password; the managed
  # cluster's provider password stays root's (tests' checks only)
  local f
  for f in secrets/source.password secrets/destination.password secrets/managed.password secrets/api.password \
           client/known_hosts; do
    chgrp "$APP_USER" "$STACK_DIR/$f"
    chmod 0640 "$STACK_DIR/$f"
  done
  # the SSH identity is the app's own, 0600: ssh(1) ignores a key its owner's group may read, and
  # root (the guide's hand path in bench/, tests) reads it regardless
  chown "$APP_USER:$APP_USER" "$STACK_DIR/client/id_ed25519"
  chmod 0600 "$STACK_DIR/client/id_ed25519"
  chgrp "$APP_USER" "$STACK_DIR/secrets" "$STACK_DIR/client"
  chmod 0750 "$STACK_DIR/secrets" "$STACK_DIR/client"
}

wait_ready() {
  for _ in $(seq 1 50); do
    if pg_isready -q -h 127.0.0.1 -p "$SRC_PORT" && pg_isready -q -h 127.0.0.1 -p "$DST_PORT" \
       && pg_isready -q -h 127.0.0.1 -p "$MANAGED_PORT" \
       && (exec 3<>/dev/tcp/127.0.0.1/"$SSH_PORT") 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "local stack did not come up: check pg_lsclusters and $STACK_DIR/sshd/sshd.log" >&2
  return 1
}

reserve_ports() {
  # The stack's servers listen on ports inside Linux's ephemeral range (32768-60999): the stack's
  # own (55432-55434) and the version clusters the tests start later (55412-55417, 55516-55517).
  # An outgoing connection can take one of those as its local port in the meantime, and the server
  # then fails to start with "Address already in use" (seen in a full test run). Reserved ports
  # are never handed out as ephemeral ones. Best effort: a container may not allow it.
  local want=55400-55599 have
  have=$(cat /proc/sys/net/ipv4/ip_local_reserved_ports 2>/dev/null || true)
  case ",$have," in *",$want,"*) return 0 ;; esac
  sysctl -qw net.ipv4.ip_local_reserved_ports="${have:+$have,}$want" 2>/dev/null \
    || log "could not reserve ports $want from the ephemeral range (a server may find its port taken)"
}

install_packages
ensure_locales
reserve_ports
[ -d "$STACK_DIR/secrets" ] || install -d -m 0700 "$STACK_DIR/secrets"   # 0750 with group caravan below
chmod 755 "$STACK_DIR"
ensure_cluster caravan_src "$SRC_PORT" source.password
ensure_cluster caravan_dst "$DST_PORT" destination.password
ensure_managed_cluster caravan_managed "$MANAGED_PORT"
ensure_sshd
secret api.password >/dev/null   # the demo's API user (operator), read by config/application.properties
ensure_app_user
wait_ready
log "ready: source 127.0.0.1:$SRC_PORT, destination 127.0.0.1:$DST_PORT, managed-like destination 127.0.0.1:$MANAGED_PORT, sftp $DROP_USER@127.0.0.1:$SSH_PORT (drop $STACK_DIR/drop)"
