#!/usr/bin/env bash
# Secret rotation without a service restart, end to end: a throwaway PostgreSQL and Redis, a back
# end, the example service (examples/rotating_service) under steady load (scripts/rotation_load.py,
# loopback, bounded, stops by itself), then rotations of jwt-secret, db-encryption-key (followed
# by `locksmith reencrypt` under load and `--verify --retiring` of the old key), database-password
# (alternating users, with the PostgreSQL server) and redis-password (with the Redis server, the
# old password retired after the cache TTL). Asserts zero failed requests, zero undecryptable
# rows, the same service PID throughout, and that a token issued before the JWT rotation is still
# accepted; prints a one-line summary.
#
# Usage: scripts/test-secret-rotation.sh [--backend local] [--build-dir build-asan]
# Needs the built `locksmith` and `rotating_service` (./dev.sh test builds them), postgresql and
# redis-server (Debian). Runs as root (CI: PostgreSQL as the postgres user) or as a normal user.
set -euo pipefail

BACKEND=local
BUILD_DIR=build-asan
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) BACKEND=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    *) echo "usage: $0 [--backend local] [--build-dir DIR]" >&2; exit 2 ;;
  esac
done
case "$BACKEND" in
  local) ;;
  *) echo "test-secret-rotation: back end '$BACKEND' not supported yet (local)" >&2; exit 2 ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LS=$ROOT/$BUILD_DIR/apps/locksmith/locksmith
SERVICE=$ROOT/$BUILD_DIR/examples/rotating_service/rotating_service
for bin in "$LS" "$SERVICE"; do
  [ -x "$bin" ] || { echo "test-secret-rotation: $bin is not built" >&2; exit 2; }
done
PY=/usr/bin/python3
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
# ASan builds of libpqxx 6.4 report its known leak on lost connections (tests/sanitizers).
export LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizers/lsan_libpqxx.supp"

WORK=$(mktemp -d /tmp/rotation-test-XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  local code=$?
  touch "$WORK/stop" 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -f "$WORK/pg/data/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ $code -ne 0 ]; then
    echo "test-secret-rotation: FAILED; service log:" >&2
    tail -20 "$WORK/service.err" >&2 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
# Polls `file` until it contains `text` (an event from another process), at most `seconds`.
wait_for() {
  local file=$1 text=$2 seconds=$3
  local deadline=$((SECONDS + seconds))
  until grep -qF -- "$text" "$file" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "test-secret-rotation: no '$text' in $file" >&2; return 1; }
    sleep 0.2
  done
}
random_password() { head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='; }

# --- PostgreSQL: unix socket only; the postgres superuser by trust, everyone else by password.
mkdir -p "$WORK/pg"
[ "$(id -u)" = 0 ] && chown postgres "$WORK/pg"
as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres -A trust >/dev/null
printf 'local all postgres trust\nlocal all all scram-sha-256\n' | as_pg tee "$WORK/pg/data/pg_hba.conf" >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
  -o "-c listen_addresses='' -k $WORK/pg -c password_encryption=scram-sha-256" start >/dev/null
ADMIN_DSN="host=$WORK/pg port=5432 dbname=app user=postgres"
APP_PG_PASSWORD=$(random_password)
"$PG_BIN/psql" -h "$WORK/pg" -U postgres -d postgres -q -v ON_ERROR_STOP=1 <<SQL >/dev/null
\set pw '$APP_PG_PASSWORD'
CREATE ROLE app LOGIN PASSWORD :'pw';
CREATE DATABASE app OWNER app;
SQL

# --- Redis: unix socket only, ACL users from the config file (never argv).
REDIS_ADMIN_PASSWORD=$(random_password)
APP_REDIS_PASSWORD=$(random_password)
cat >"$WORK/redis.conf" <<CONF
port 0
unixsocket $WORK/redis.sock
unixsocketperm 700
dir $WORK
save ""
appendonly no
user default off
user admin on >$REDIS_ADMIN_PASSWORD ~* &* +@all
user app on >$APP_REDIS_PASSWORD ~* &* +@all
CONF
chmod 600 "$WORK/redis.conf"
redis-server "$WORK/redis.conf" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/redis.log" "ready to accept connections" 20

# --- The back end and the secrets.
export HOME=$WORK SECRETS_BACKEND=local LOCKSMITH_STORE=$WORK/store/secrets.db \
  LOCKSMITH_MASTER_KEY_FILE=$WORK/keys/master.key
printf '{"username":"app","password":"%s","host":"%s","port":5432,"dbname":"app"}' \
  "$APP_PG_PASSWORD" "$WORK/pg" | "$LS" put database-password >/dev/null
printf '{"username":"app","password":"%s"}' "$APP_REDIS_PASSWORD" | "$LS" put redis-password >/dev/null
"$LS" rotate jwt-secret >/dev/null
OLD_KEY_VERSION=$("$LS" rotate db-encryption-key)
OLD_KEY_ID=$(printf '%s' "$OLD_KEY_VERSION" | sha256sum | cut -c1-8)

# --- The service, its secrets cached for 2 s so rotations show within seconds.
LOCKSMITH_CACHE_TTL=2s "$SERVICE" --redis-socket="$WORK/redis.sock" --threads=4 \
  >"$WORK/service.out" 2>"$WORK/service.err" &
PIDS+=($!)
wait_for "$WORK/service.out" "listening on" 30
PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$WORK/service.out")
health() { curl -sf "http://127.0.0.1:$PORT/healthz"; }
PID_BEFORE=$(health | $PY -c 'import json,sys; print(json.load(sys.stdin)["pid"])')

"$PY" "$ROOT/scripts/rotation_load.py" --port "$PORT" --out "$WORK/load.json" \
  --stop-file "$WORK/stop" --max-seconds 300 &
LOAD_PID=$!
PIDS+=($LOAD_PID)
wait_for "$WORK/load.json.progress" " " 30
rotated() {  # waits until the service took a new version of $1 (its log line)
  local before=$2
  local deadline=$((SECONDS + 30))
  until [ "$(grep -cF "secret '$1' is now at version" "$WORK/service.err")" -gt "$before" ]; do
    [ $SECONDS -lt $deadline ] || { echo "test-secret-rotation: the service never took $1" >&2; return 1; }
    sleep 0.2
  done
}
taken() { grep -cF "secret '$1' is now at version" "$WORK/service.err" || true; }

# 1. jwt-secret: a token issued before must still be accepted (the dual-key period).
USER_ID=$(curl -sf -XPOST "http://127.0.0.1:$PORT/users" -d '{"email":"before@example.com"}' |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
OLD_TOKEN=$(curl -sf -XPOST "http://127.0.0.1:$PORT/login" -d "{\"user_id\":$USER_ID}" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["token"])')
n=$(taken jwt-secret); "$LS" rotate jwt-secret >/dev/null; rotated jwt-secret "$n"
curl -sf -H "Authorization: Bearer $OLD_TOKEN" "http://127.0.0.1:$PORT/me" >/dev/null ||
  { echo "test-secret-rotation: a token issued before the JWT rotation was refused" >&2; exit 1; }

# 2. db-encryption-key: rotate, let the service take it, re-encrypt under load, verify.
n=$(taken db-encryption-key); "$LS" rotate db-encryption-key >/dev/null
rotated db-encryption-key "$n"
# A request that began before the service took the key may still write a row under the old one:
# verify, and re-encrypt again while it says rows are left (as the runbook says).
REENCRYPTED=0
for attempt in 1 2 3; do
  REENCRYPT=$("$LS" reencrypt --dsn "$ADMIN_DSN" --table users --column encrypted_email \
    2>>"$WORK/cli.err")
  REENCRYPTED=$((REENCRYPTED + $(printf '%s\n' "$REENCRYPT" | sed -n 's/^ *re-encrypted *\([0-9]*\).*/\1/p')))
  if "$LS" reencrypt --dsn "$ADMIN_DSN" --table users --column encrypted_email --verify \
    --retiring "$OLD_KEY_ID" >"$WORK/verify.out" 2>&1; then
    break
  fi
done
grep -q "safe to retire $OLD_KEY_ID" "$WORK/verify.out" ||
  { cat "$WORK/verify.out" >&2; exit 1; }

# 3. database-password, alternating users: no connection is ever refused.
n=$(taken database-password)
"$LS" rotate database-password --postgres "$ADMIN_DSN" --strategy alternating-users \
  >/dev/null 2>"$WORK/rotate-db.err"
rotated database-password "$n"

# 4. redis-password: both passwords valid until the old one is retired after the TTL.
n=$(taken redis-password)
REDISCLI_AUTH=$REDIS_ADMIN_PASSWORD "$LS" rotate redis-password \
  --redis "unix://admin:@$WORK/redis.sock" --retire-after 5s >/dev/null 2>"$WORK/rotate-redis.err"
rotated redis-password "$n"
grep -q "retire" "$WORK/rotate-redis.err"

# Some more load on the new credentials, then stop and check.
PROGRESS=$(cut -d' ' -f1 "$WORK/load.json.progress")
until [ "$(cut -d' ' -f1 "$WORK/load.json.progress")" -gt $((PROGRESS + 100)) ]; do sleep 0.2; done
touch "$WORK/stop"
wait "$LOAD_PID"
PID_AFTER=$(health | $PY -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
REQUESTS=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"])' "$WORK/load.json")
FAILED=$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["failed"])' "$WORK/load.json")
"$LS" reencrypt --dsn "$ADMIN_DSN" --table users --column encrypted_email --verify \
  >"$WORK/verify-end.out" 2>>"$WORK/cli.err"
UNDECRYPTABLE=$(sed -n 's/^ *undecryptable *\([0-9]*\).*/\1/p' "$WORK/verify-end.out")
ROWS=$(sed -n 's/^users.encrypted_email: \([0-9]*\) rows$/\1/p' "$WORK/verify-end.out")

STATUS=ok
[ "$FAILED" = 0 ] || STATUS=FAILED
[ "${UNDECRYPTABLE:-0}" = 0 ] || STATUS=FAILED
[ "$PID_BEFORE" = "$PID_AFTER" ] || STATUS=FAILED
echo "rotation test ($BACKEND): $STATUS: $REQUESTS requests served, $FAILED failed; rotated" \
  "jwt-secret (old token accepted), db-encryption-key ($REENCRYPTED rows re-encrypted under load," \
  "$ROWS rows, ${UNDECRYPTABLE:-0} undecryptable, old key $OLD_KEY_ID safe to retire)," \
  "database-password (alternating users), redis-password (old password retired);" \
  "service PID $PID_BEFORE throughout"
if [ "$STATUS" != ok ]; then
  $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["failures"])' "$WORK/load.json" >&2
  exit 1
fi
