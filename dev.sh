# locksmith

locksmith is a C++ secrets layer for backend services. A service keeps its critical secrets (the
database column-encryption key, the JWT signing secret, database and Redis passwords, RPC
provider API keys) out of `.env` files and reads them through locksmith from a secrets manager:
an **embedded encrypted store** (the zero-setup default), a **`.env` file** for existing
development setups, and (in progress, see the issues) **HashiCorp Vault** and **AWS Secrets
Manager**. Around every back end it gives the same runtime: a cache with a jittered TTL and
refresh ahead of expiry, one back-end call per miss however many threads ask, retries with
exponential backoff and full jitter, a circuit breaker that serves the last good value (never past
a maximum staleness), subscriptions that fire when a secret is rotated, Prometheus metrics, a CLI,
and a local HTTP agent compatible with the AWS Secrets Manager Agent's request form.

## Quick start

On a fresh Debian 12 machine, from a fresh clone:

```sh
./dev.sh run     # install what is missing, build, run `locksmith agent` on the embedded store
./dev.sh test    # install what is missing, build, run every test (also under ASan+UBSan, TSan)
```

`./dev.sh run` creates the store (`~/.local/share/locksmith/secrets.db`), its master key file
(mode 0600) and a set of development secrets on first run, then serves them on
`127.0.0.1:2773`. It prints the `curl` command to query it, e.g.

```sh
curl -H "X-Aws-Parameters-Secrets-Token: $(cat ~/.local/share/locksmith/agent.token)" \
  'http://127.0.0.1:2773/secretsmanager/get?secretId=database-password'
```

## Using the library

```cmake
find_package(locksmith REQUIRED)
target_link_libraries(my_service PRIVATE locksmith::locksmith)
```

```cpp
#include "locksmith/config.h"
#include "locksmith/secrets_manager.h"

using namespace locksmith;

auto config = LoadConfig(ProcessEnv());                 // SECRETS_BACKEND, LOCKSMITH_* ...
auto provider = CreateProvider(*config, ProcessEnv(), SystemClock(), SystemRandom());
auto metrics = Metrics::Create();
auto secrets = SecretsManager::Create(config->manager, std::move(*provider), SystemClock(),
                                      SystemRandom(), metrics.get());

Result<SecretValue> key = (*secrets)->Get("db-encryption-key");   // cached, refreshed ahead
if (!key.ok()) { /* key.error().code: kNotFound, kPermissionDenied, kUnavailable, ... */ }
use_key(key->RevealUnsafe());                                   // the only way to the bytes

// Rotation without restart: runs when (and only when) the version behind the name changes.
SubscriptionPtr sub = (*secrets)->Subscribe("jwt-secret", [](const SecretUpdate& u) {
  reload_signer(u.value);
});
```

- Every fallible call returns `Result<T>` (a value or `Error{code, message}`); no exceptions.
- `SecretValue` wipes its memory, compares in constant time and prints as `***` through streams,
  fmt/spdlog and GoogleTest.
- `name#field` selects one field of a JSON secret (`database#password`). Names and how they map to
  each back end: [docs/naming.md](docs/naming.md).
- Cache, refresh, retry, breaker and subscription semantics: [docs/runtime.md](docs/runtime.md).
- Tests inject `locksmith::testing::FakeClock` and `FakeRandom`.

## CLI and agent

```sh
locksmith get NAME [--stage current|previous|pending] [--version ID] [--json]
echo -n "$VALUE" | locksmith put NAME          # value from stdin; --value only if you insist
locksmith rotate NAME [--bytes 32]
locksmith list [PREFIX]
locksmith describe NAME                        # versions and stages, never the value
locksmith status                               # back end, reachability, cache, breaker
locksmith agent [--listen 127.0.0.1:2773]
```

Exit codes: 0 ok, 2 usage, 3 not found, 4 denied or unauthenticated, 5 back end unavailable,
1 anything else. Details: [docs/cli.md](docs/cli.md), [docs/agent.md](docs/agent.md).

## Configuration

All settings come from environment variables; durations read `300s`, `5m`, `1h30m`, `250ms`; a bare number is seconds. Every problem is reported at once, naming the variable, never the value of a secret-bearing one. Rules between variables and more detail: [docs/configuration.md](docs/configuration.md).

| Variable | Default | Meaning | Example |
|---|---|---|---|
| `ENABLE_SECRETS_MANAGER` | `true` | `false` switches the secrets manager off: secrets come from the `.env` back end, whatever `SECRETS_BACKEND` says | `false` |
| `SECRETS_BACKEND` | `local` | Where secrets live: `local` (embedded encrypted store), `dotenv` (`.env` file and environment), `vault`, `aws` | `vault` |
| `APP_ENV` | (empty) | The deployment environment; with `production` (or `prod`) the `.env` back end refuses to start | `production` |
| `AWS_REGION` | `AWS_DEFAULT_REGION` | Region of AWS Secrets Manager; required with `SECRETS_BACKEND=aws` | `us-east-1` |
| `AWS_DEFAULT_REGION` | (empty) | Used when `AWS_REGION` is unset | `eu-west-1` |
| `AWS_SECRETS_PREFIX` | (empty) | Prefix of AWS secret ids: `<prefix>/<name>` (see docs/naming.md) | `agentauri-backend/production` |
| `VAULT_ADDR` | (empty) | Vault server URL (`http://` or `https://`); required with `SECRETS_BACKEND=vault` | `https://vault.internal:8200` |
| `VAULT_MOUNT_PATH` | `secret` | KV v2 mount followed by the path prefix of the secrets | `secret/agentauri-backend/production` |
| `VAULT_ROLE_ID` | (empty) | AppRole role id; set together with `VAULT_SECRET_ID` or `VAULT_SECRET_ID_FILE` (AppRole wins over a token) | `3c9f...-role` |
| `VAULT_SECRET_ID` | (empty) | AppRole secret id (secret; never shown) | (from your deployment's secret injection) |
| `VAULT_SECRET_ID_FILE` | (empty) | File holding the AppRole secret id, re-read at every login (as CI/CD systems mount it); not with `VAULT_SECRET_ID` | `/run/secrets/vault-secret-id` |
| `VAULT_NAMESPACE` | (empty) | Vault Enterprise namespace | `team-a` |
| `VAULT_TOKEN` | (empty) | Token auth instead of AppRole (secret; never shown); not with `VAULT_TOKEN_FILE` | (from your deployment's secret injection) |
| `VAULT_TOKEN_FILE` | (empty) | File holding the token, re-read when the token stops working (a Vault Agent sink) | `/run/vault/token` |
| `VAULT_CACERT` | system CAs | PEM file of the CA that signed Vault's certificate | `/etc/vault/ca.pem` |
| `VAULT_CAPATH` | (empty) | Directory of PEM CA certificates (c_rehash layout) | `/etc/vault/ca.d` |
| `VAULT_CLIENT_CERT` | (empty) | Client certificate for TLS client auth; set together with `VAULT_CLIENT_KEY` | `/etc/vault/client.pem` |
| `VAULT_CLIENT_KEY` | (empty) | Private key of `VAULT_CLIENT_CERT` | `/etc/vault/client.key` |
| `VAULT_SKIP_VERIFY` | `false` | Turns TLS certificate verification off (logged loudly at warn; never in production) | `false` |
| `VAULT_CLIENT_TIMEOUT` | `30s` | Timeout of one whole Vault request | `10s` |
| `LOCKSMITH_ALLOW_INSECURE_HTTP` | `false` | Allows `VAULT_ADDR=http://` to a host other than loopback (the token would travel unencrypted); plain http to 127.0.0.1 / localhost / ::1 needs no flag | `true` |
| `LOCKSMITH_CACHE_TTL` | `5m` | How long a fetched value is cached (duration, more than 0) | `300s` |
| `LOCKSMITH_CACHE_TTL_JITTER` | `0.1` | Each entry's TTL is drawn from [TTL x (1 - jitter), TTL]; 0 to 0.5 | `0.2` |
| `LOCKSMITH_REFRESH_AHEAD` | `0.8` | Fraction of the TTL after which a background refresh starts; 0.5 to 0.95 | `0.75` |
| `LOCKSMITH_MAX_STALENESS` | `1h` | Longest a value is served after its last successful fetch while the back end is down; at least `LOCKSMITH_CACHE_TTL` | `30m` |
| `LOCKSMITH_RETRY_MAX_ATTEMPTS` | `3` | Tries per back-end call, the first included; 1 to 10 | `5` |
| `LOCKSMITH_RETRY_BASE_DELAY` | `100ms` | First backoff delay (exponential, full jitter); at most `LOCKSMITH_RETRY_MAX_DELAY` | `200ms` |
| `LOCKSMITH_RETRY_MAX_DELAY` | `5s` | Cap on one backoff delay | `10s` |
| `LOCKSMITH_BREAKER_FAILURE_THRESHOLD` | `3` | Consecutive failed back-end calls that open the circuit breaker; 1 to 1000 | `5` |
| `LOCKSMITH_BREAKER_OPEN_DURATION` | `5m` | How long the breaker stays open before one trial call (more than 0) | `1m` |
| `LOCKSMITH_STORE` | `$XDG_DATA_HOME/locksmith/secrets.db`, else `~/.local/share/locksmith/secrets.db` | The embedded store's SQLite file; parent directories are created (0700) | `/var/lib/my-service/secrets.db` |
| `LOCKSMITH_MASTER_KEY` | (unset) | The store's master key itself: base64 of 32 bytes (secret; never shown). Set this or `LOCKSMITH_MASTER_KEY_FILE`, not both | (from your deployment's secret injection) |
| `LOCKSMITH_MASTER_KEY_FILE` | `master.key` next to the store | File holding the master key; created with mode 0600 and a fresh key if missing, refused if group or others can read it | `/run/keys/locksmith.key` |
| `LOCKSMITH_DOTENV_FILE` | `.env` | The `.env` file of the `dotenv` back end; a missing file is fine (only the environment is used) | `/srv/app/.env` |
| `LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION` | `false` | Lets the `.env` back end run with `APP_ENV=production` (logged at warn) | `true` |
| `LOCKSMITH_AGENT_TOKEN` | generated into `agent.token` next to the store (mode 0600) | The agent's request token: the value, or `file:///path` | `file:///run/secrets/agent-token` |
| `LOCKSMITH_AGENT_LISTEN` | `127.0.0.1:2773` | Default address for `locksmith agent --listen` | `127.0.0.1:2773` |

## Metrics

`Metrics::Create()` keeps the metrics; the agent serves them at `GET /metrics` (Prometheus text format). Every name starts with `secrets_manager_` (the prefix is left out below). Label values are logical names, never values. Details: [docs/runtime.md](docs/runtime.md).

| Metric | Type | Labels |
|---|---|---|
| `backend_requests_total` | counter | backend, operation, result=success\|failure |
| `backend_latency_seconds` | histogram (0.005 ... 10 s) | backend, operation |
| `cache_hits_total`, `cache_misses_total` | counter (per-thread shards, summed at scrape) | - |
| `secret_age_days` | gauge (current version's created time vs `Clock::WallNow`) | secret |
| `circuit_breaker_state` | gauge 0/1/2 | backend |
| `refresh_failures_total` | counter | secret |
| `stale_served_total` | counter | secret |
| `decryption_failures_total` | counter | key |

## Security notes

- Secret values never appear in logs, error messages, `--help`, the argv of child processes or
  test output; `put` reads the value from stdin. A leak test plants known values and scans
  everything the CLI and agent print, including on failures.
- The embedded store seals every value with AES-256-GCM under the master key, with the secret's
  name and version as associated data; the plaintext never touches the file. The master key file
  is created with mode 0600 and refused if group or others can read it. Keep the key file away
  from backups of the store. Details: [docs/local-store.md](docs/local-store.md).
- The agent listens on loopback only (unless explicitly allowed), requires the
  `X-Aws-Parameters-Secrets-Token` header, and refuses proxied requests (`X-Forwarded-For`).
- The `.env` back end is for development; it warns once and refuses to run with
  `APP_ENV=production` unless `LOCKSMITH_ALLOW_DOTENV_IN_PRODUCTION=true`.
- TLS verification is on by default for the network back ends; plain HTTP only to loopback or
  with an explicit flag.

## Benchmarks

`./dev.sh bench` builds in Release and runs `bench/` (Google Benchmark) and the Vault cold-start
comparison. Latest figures on the shared 2-vCPU development VM (details, methods and caveats:
[docs/benchmarks.md](docs/benchmarks.md)):

| What | locksmith | baseline | ratio |
|---|---|---|---|
| Cache-hit `Get`, 1 thread (median) | 69.2 ns | 55.6 ns (`unordered_map` + one `std::mutex`) | 1.24x the time |
| Cache-hit `Get`, 2 threads, same key | 26.8 M reads/s (1.86x its 1 thread) | 9.0 M reads/s (0.50x) | 3.0x the throughput |
| Vault cold start, 100 secrets | 199.5 ms | 1090 ms (`hvac`, one process) | 5.5x faster (busy machine) |

## Development

- Layout: public headers in `include/locksmith/`, one directory per component in `src/`
  (`core`, `providers/*`, `transport`, `runtime`, `config`, `agent`, `commands`), the CLI in
  `apps/locksmith/`, tests mirroring `src/` in `tests/`, benchmarks in `bench/`, docs in `docs/`.
  Conventions: `../shared/STYLE.md`.
- Each component is an object library; all of them make the one library `locksmith::locksmith`.
  A component's tests build into `<component>_tests` and link only what that component needs.
- `./dev.sh test` is what CI (`.ci/run`) runs: the normal build with every test, then the unit
  tests under ASan+UBSan (`build-asan/`) and TSan (`build-tsan/`), and a consumer project built
  against an installed locksmith with `find_package(locksmith)`.
- Format with `clang-format -i` (Google style, 100 columns); `.clang-tidy` lists the checks.
