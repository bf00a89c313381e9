#!/usr/bin/env bash
# Secret rotation without a service restart, end to end: a throwaway PostgreSQL and Redis, a back
# end, the example service (examples/rotating_service) under steady load (scripts/rotation_load.py,
# loopback, bounded, stops by itself), then rotations of jwt-secret, db-encryption-key (followed
# by `locksmith reencrypt` under load and `--verify --retiring` of the old key), database-password
# (with the PostgreSQL server: alternating users, then single user) and redis-password (with the
# Redis server, the old password retired after the cache TTL). Asserts zero failed requests, zero
# undecryptable rows, the same service PID throughout, and that a token issued before the JWT
# rotation is still accepted; prints a one-line summary, then the windows each rotation opened
# (measured: set -> promoted, promoted -> the service took the new version).
#
# Usage: scripts/test-secret-rotation.sh [--backend local|vault|aws] [--build-dir build-asan]
#   local  the embedded encrypted store (a throwaway file and master key)
#   vault  the Vault test server (tests/servers/vault_server.py: KV v2 over HTTP on loopback; a
#          test double of Vault's API, proved against hvac by the tests), a random root token
#   aws    the AWS Secrets Manager test server (tests/servers/aws_server.py: SigV4-verified
#          awsJson1.1, staging labels; proved against botocore and the aws CLI by the tests)
# Needs the built `locksmith` and `rotating_service` (./dev.sh test builds them), postgresql and
# redis-server (Debian). Runs as root (CI: PostgreSQL as the postgres user) or as a normal user.
set -euo pipefail

BACKEND=local
BUILD_DIR=build-asan
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) BACKEND=$2; shift 2 ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    *) echo "usage: $0 [--backend local|vault|aws] [--build-dir DIR]" >&2; exit 2 ;;
  esac
done
case "$BACKEND" in
  local | vault | aws) ;;
  *) echo "test-secret-rotation: unknown back end '$BACKEND' (local, vault or aws)" >&2; exit 2 ;;
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

# --- The back end (HOME is the work directory: no ~/.aws or ~/.vault-token of the caller).
export HOME=$WORK SECRETS_BACKEND=$BACKEND
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL VAULT_NAMESPACE VAULT_MOUNT_PATH \
  VAULT_TOKEN_FILE VAULT_ROLE_ID VAULT_SECRET_ID AWS_SECRETS_PREFIX
# Starts a test server (tests/servers) and sets SERVER_PORT (it prints its port once listening).
start_server() {
  local name=$1
  shift
  "$PY" "$ROOT/tests/servers/$name.py" "$@" >"$WORK/$name.port" 2>"$WORK/$name.log" &
  PIDS+=($!)
  local deadline=$((SECONDS + 20))
  until grep -q '^[0-9][0-9]*$' "$WORK/$name.port" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "test-secret-rotation: $name did not start" >&2; return 1; }
    sleep 0.2
  done
  SERVER_PORT=$(head -1 "$WORK/$name.port")
}
case "$BACKEND" in
  local)
    export LOCKSMITH_STORE=$WORK/store/secrets.db LOCKSMITH_MASTER_KEY_FILE=$WORK/keys/master.key
    ;;
  vault)
    VAULT_TEST_ROOT_TOKEN=$(random_password)
    export VAULT_TEST_ROOT_TOKEN VAULT_TOKEN=$VAULT_TEST_ROOT_TOKEN
    start_server vault_server --real-clock
    export VAULT_ADDR=http://127.0.0.1:$SERVER_PORT
    ;;
  aws)
    export AWS_ACCESS_KEY_ID=AKIDLOCKSMITHTEST
    export AWS_SECRET_ACCESS_KEY=locksmith-test-secret-access-key AWS_REGION=us-east-1
    start_server aws_server
    export AWS_ENDPOINT_URL_SECRETS_MANAGER=http://127.0.0.1:$SERVER_PORT
    ;;
esac

# --- The secrets.
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
now_ms() { date +%s%3N; }
taken() { grep -cF "secret '$1' is now at version" "$WORK/service.err" || true; }
# Waits until the service took a new version of $1 (its log line; $2 = the count before) and
# prints the time it saw it (ms).
rotated() {
  local before=$2
  local deadline=$((SECONDS + 30))
  until [ "$(taken "$1")" -gt "$before" ]; do
    [ $SECONDS -lt $deadline ] || { echo "test-secret-rotation: the service never took $1" >&2; return 1; }
    sleep 0.05
  done
  now_ms
}
# The windows each rotation opened, measured (polled every 50 ms), for the summary and the
# runbook: how long the server knew a password the back end did not yet call current, and how
# long until the service took the new version.
WINDOWS=()
# b - a in seconds; a service that took the version before the command's exit was stamped shows
# as "0.00 s (before the command exited)", not as a negative time.
ms() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (b < a) { printf "0.00 s (before the command exited)" } else { printf "%.2f s", (b - a) / 1000 } }'
}
# A plain rotation (jwt-secret, db-encryption-key): the time from the command to the service.
rotate_value() {
  local name=$1 n start
  n=$(taken "$name")
  start=$(now_ms)
  "$LS" rotate "$name" >/dev/null 2>>"$WORK/cli.err"
  WINDOWS+=("$name: rotate -> service $(ms "$start" "$(rotated "$name" "$n")")")
}
# A rotation with the server (label, name, then the command's arguments after the name): its
# progress lines stamped; set -> promoted (the end of the finish step: the line after it, which
# is the retire wait's "promoted; waiting until ..." or the command's exit) and promoted -> service.
rotate_credential() {
  local label=$1 name=$2 n log=$WORK/rotate-$1.err
  shift 2
  n=$(taken "$name")
  { "$LS" rotate "$name" "$@" 2>&1 >/dev/null; echo "exit"; } |
    while IFS= read -r line; do printf '%s %s\n' "$(now_ms)" "$line"; done >"$log" &
  local rotation=$!
  local took
  took=$(rotated "$name" "$n")
  wait "$rotation"
  grep -q " exit$" "$log" || { cat "$log" >&2; return 1; }
  local set promoted
  set=$(awk '/\): set$/ { print $1; exit }' "$log")
  promoted=$(awk 'found { print $1; exit } /\): finish$/ { found = 1 }' "$log")
  [ -n "$set" ] && [ -n "$promoted" ] || { cat "$log" >&2; return 1; }
  WINDOWS+=("$name ($label): set -> promoted $(ms "$set" "$promoted"), promoted -> service $(ms "$promoted" "$took")")
}

# 1. jwt-secret: a token issued before must still be accepted (the dual-key period).
USER_ID=$(curl -sf -XPOST "http://127.0.0.1:$PORT/users" -d '{"email":"before@example.com"}' |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
OLD_TOKEN=$(curl -sf -XPOST "http://127.0.0.1:$PORT/login" -d "{\"user_id\":$USER_ID}" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["token"])')
rotate_value jwt-secret
curl -sf -H "Authorization: Bearer $OLD_TOKEN" "http://127.0.0.1:$PORT/me" >/dev/null ||
  { echo "test-secret-rotation: a token issued before the JWT rotation was refused" >&2; exit 1; }

# 2. db-encryption-key: rotate, let the service take it, re-encrypt under load, verify.
rotate_value db-encryption-key
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
rotate_credential alternating-users database-password --postgres "$ADMIN_DSN" \
  --strategy alternating-users
# 4. database-password, single user (the role the secret now names): between set and the
# service taking the new version, a connection the service opens is refused once, re-reads the
# secret and retries (examples/rotating_service/pg_pool.cc); the window is measured.
rotate_credential single-user database-password --postgres "$ADMIN_DSN"
REFUSED=$(grep -c "database refused the credential" "$WORK/service.err" || true)

# 5. redis-password: both passwords valid until the old one is retired after the TTL.
REDISCLI_AUTH=$REDIS_ADMIN_PASSWORD rotate_credential acl redis-password \
  --redis "unix://admin:@$WORK/redis.sock" --retire-after 5s
grep -q "promoted; waiting until .* to retire the previous password" "$WORK/rotate-acl.err"
grep -q "): retire the previous password" "$WORK/rotate-acl.err"

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
  "database-password (alternating users, then single user: $REFUSED connection(s) refused and" \
  "retried), redis-password (old password retired); service PID $PID_BEFORE throughout"
printf 'windows: %s\n' "$(IFS=';'; echo "${WINDOWS[*]}" | sed 's/;/; /g')"
if [ "$STATUS" != ok ]; then
  $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["failures"])' "$WORK/load.json" >&2
  exit 1
fi
