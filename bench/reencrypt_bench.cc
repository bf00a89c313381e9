// reencrypt_bench: `locksmith reencrypt` against the two ways of doing the same work without it,
// in one run on the same table of a throwaway PostgreSQL cluster (tests/support/postgres_cluster):
//   floor      UPDATE t SET enc = enc: PostgreSQL rewriting every row, no crypto, one statement
//   pgcrypto   UPDATE t SET pgp = pgp_sym_encrypt(pgp_sym_decrypt(pgp, old), new): what a user
//              might write instead (on the first --pgcrypto-rows rows only: it runs at about a
//              thousand rows a second, and its cost per row is constant: see docs/benchmarks.md)
//   locksmith  the real `locksmith reencrypt` program, a child process: wall time and its peak RSS
//              (wait4's ru_maxrss), then every row checked to be on the new key id.
// Table t(id bigint primary key, enc text, pgp bytea): each row holds a 64-byte field encrypted
// by the ring (context t.enc.<id>); the first --pgcrypto-rows rows also hold it under pgcrypto.
// VACUUM and CHECKPOINT before each timed phase, so none pays for another's dead rows or dirty
// pages. Prints one table; values are never printed.
//
// The floor and locksmith run --repeat times each (best of each reported: the machine's noise
// only ever slows a run down); pgcrypto once. Peak RSS is the largest of the locksmith runs.
//
// Usage: reencrypt_bench [--rows 100000,1000000] [--pgcrypto-rows 20000] [--batch-size 1000]
//                        [--repeat 3] [--locksmith PATH]
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/transaction>
#include <sstream>
#include <string>
#include <vector>

#include "core/crypto.h"
#include "locksmith/encryption_key_ring.h"
#include "locksmith/random.h"
#include "reencrypt/reencrypt_sql.h"
#include "support/postgres_cluster.h"

extern char** environ;

namespace locksmith {
namespace {

using Seconds = std::chrono::duration<double>;

struct Args {
  std::vector<long> rows = {100000, 1000000};
  long pgcrypto_rows = 20000;
  long batch_size = 1000;
  int repeat = 3;  // floor and locksmith runs: the best of each
  std::string locksmith = LOCKSMITH_CLI_PATH;
};

bool Parse(int argc, char** argv, Args& args) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--rows") {
      args.rows.clear();
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');) {
        args.rows.push_back(std::atol(item.c_str()));
      }
    } else if (flag == "--pgcrypto-rows") {
      args.pgcrypto_rows = std::atol(value.c_str());
    } else if (flag == "--batch-size") {
      args.batch_size = std::atol(value.c_str());
    } else if (flag == "--repeat") {
      args.repeat = std::max(1, std::atoi(value.c_str()));
    } else if (flag == "--locksmith") {
      args.locksmith = value;
    } else {
      return false;
    }
  }
  return (argc % 2) == 1 && !args.rows.empty();
}

struct ChildRun {
  int exit_code = -1;
  double seconds = 0;
  long max_rss_kib = 0;
  std::string out;
};

// Runs the CLI with `env` only, stdout to a file read back, stderr (progress lines) discarded.
ChildRun RunCli(const std::string& program, const std::vector<std::string>& args,
                const std::vector<std::string>& env, const std::filesystem::path& out_file) {
  std::vector<std::string> argv_s = {program};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) {
    argv.push_back(a.data());
  }
  argv.push_back(nullptr);
  std::vector<std::string> env_s = env;
  std::vector<char*> envp;
  for (std::string& e : env_s) {
    envp.push_back(e.data());
  }
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  ChildRun run;
  const auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data()) != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return run;
  }
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  run.seconds = Seconds(std::chrono::steady_clock::now() - start).count();
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.max_rss_kib = usage.ru_maxrss;
  std::ifstream in(out_file);
  run.out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return run;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  return s;
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "reencrypt_bench: %s\n", what.c_str());
  std::exit(1);
}

class Bench {
 public:
  Bench(Args args, testing::PostgresCluster& cluster, std::filesystem::path dir)
      : args_(std::move(args)), cluster_(cluster), dir_(std::move(dir)), db_(cluster.Dsn()) {
    env_ = {"HOME=" + dir_.string(), "SECRETS_BACKEND=local",
            "LOCKSMITH_STORE=" + (dir_ / "data" / "secrets.db").string(),
            "LOCKSMITH_MASTER_KEY_FILE=" + (dir_ / "keys" / "master.key").string()};
  }

  void RunSize(long rows) {
    // Rows are written under a key of their own; each locksmith run first rotates, so it moves
    // every row onto a new key (the previous one is still in the ring).
    EncryptionKeyRingPtr old_ring = RotateAndLoad();
    Seed(*old_ring, rows);
    double floor = 0;
    for (int r = 0; r < args_.repeat; ++r) {
      Prepare();
      const double seconds = TimeSql("UPDATE t SET enc = enc");
      floor = r == 0 ? seconds : std::min(floor, seconds);
    }
    Prepare();
    const long pg_rows = std::min(rows, args_.pgcrypto_rows);
    const double pgcrypto = TimeSql(
        "UPDATE t SET pgp = pgp_sym_encrypt(pgp_sym_decrypt(pgp, 'old-passphrase'), "
        "'new-passphrase') WHERE id <= " +
        std::to_string(pg_rows));
    double best = 0;
    long max_rss_kib = 0;
    for (int r = 0; r < args_.repeat; ++r) {
      const std::string key_id = EncryptionKeyId(Trim(Cli({"rotate", "db-encryption-key"}).out));
      Prepare();
      const ChildRun run = Cli({"reencrypt", "--dsn", cluster_.Dsn(), "--table", "t", "--column",
                                "enc", "--batch-size", std::to_string(args_.batch_size)});
      if (run.exit_code != 0) {
        Fail("locksmith reencrypt exited " + std::to_string(run.exit_code));
      }
      CheckAllOn(key_id, rows);
      best = r == 0 ? run.seconds : std::min(best, run.seconds);
      max_rss_kib = std::max(max_rss_kib, run.max_rss_kib);
    }
    const double floor_rate = rows / floor;
    const double pgcrypto_rate = pg_rows / pgcrypto;
    const double locksmith_rate = rows / best;
    std::printf("%9ld  %12.0f  %14.0f  %15.0f  %8.2fx  %11.1fx  %9.1f MiB  %7.2f s  %6.2f s\n",
                rows, floor_rate, pgcrypto_rate, locksmith_rate, locksmith_rate / floor_rate,
                locksmith_rate / pgcrypto_rate, max_rss_kib / 1024.0, best, floor);
    std::fflush(stdout);
  }

 private:
  ChildRun Cli(const std::vector<std::string>& args) {
    ChildRun run = RunCli(args_.locksmith, args, env_, dir_ / "cli.out");
    if (run.exit_code != 0 && args[0] != "reencrypt") {
      Fail("locksmith " + args[0] + " exited " + std::to_string(run.exit_code));
    }
    return run;
  }

  // `rotate db-encryption-key`, then a ring holding just that key (material read with `get`).
  EncryptionKeyRingPtr RotateAndLoad() {
    std::vector<EncryptionKeyMaterial> keys;
    const std::string version = Trim(Cli({"rotate", "db-encryption-key"}).out);
    keys.push_back({version, SecretValue(Trim(Cli({"get", "db-encryption-key"}).out))});
    auto ring = EncryptionKeyRing::FromKeys(std::move(keys), {}, SystemRandom(), nullptr);
    if (!ring.ok()) {
      Fail("ring: " + ring.error().message);
    }
    return std::move(ring).value();
  }

  // t(id, enc, pgp): `rows` rows, 64-byte fields; pgp only for the first pgcrypto_rows.
  void Seed(EncryptionKeyRing& ring, long rows) {
    {
      pqxx::nontransaction txn(db_);
      txn.exec("CREATE EXTENSION IF NOT EXISTS pgcrypto");
      txn.exec("DROP TABLE IF EXISTS t");
      txn.exec("CREATE TABLE t (id bigint PRIMARY KEY, enc text, pgp bytea)");
    }
    constexpr long kChunk = 10000;
    for (long first = 1; first <= rows; first += kChunk) {
      std::vector<std::string> ids;
      std::vector<std::string> values;
      for (long id = first; id < first + kChunk && id <= rows; ++id) {
        char field[65];
        std::snprintf(field, sizeof(field), "%064ld", id * 7919);  // 64 bytes
        auto value = ring.EncryptText(internal::AsBytes(field), "t.enc." + std::to_string(id));
        if (!value.ok()) {
          Fail("encrypt: " + value.error().message);
        }
        ids.push_back(std::to_string(id));
        values.push_back(std::move(value).value());
      }
      pqxx::work txn(db_);
      txn.exec_params("INSERT INTO t (id, enc) SELECT * FROM unnest($1::bigint[], $2::text[])",
                      internal::ArrayLiteral(ids), internal::ArrayLiteral(values));
      txn.commit();
    }
    pqxx::work txn(db_);
    txn.exec(
        "UPDATE t SET pgp = pgp_sym_encrypt(lpad((id * 7919)::text, 64, '0'), "
        "'old-passphrase') WHERE id <= " +
        std::to_string(std::min(rows, args_.pgcrypto_rows)));
    txn.commit();
  }

  void Prepare() {
    pqxx::nontransaction txn(db_);
    txn.exec("VACUUM ANALYZE t");
    txn.exec("CHECKPOINT");
  }

  double TimeSql(const std::string& sql) {
    const auto start = std::chrono::steady_clock::now();
    pqxx::work txn(db_);
    txn.exec(sql);
    txn.commit();
    return Seconds(std::chrono::steady_clock::now() - start).count();
  }

  void CheckAllOn(const std::string& key_id, long rows) {
    pqxx::nontransaction txn(db_);
    const long on_key = txn.exec_params1("SELECT count(*) FROM t WHERE left(enc, 13) = $1",
                                         "ls1:" + key_id + ":")[0]
                            .as<long>();
    if (on_key != rows) {
      Fail(std::to_string(rows - on_key) + " rows not on the new key after the run");
    }
  }

  Args args_;
  testing::PostgresCluster& cluster_;
  std::filesystem::path dir_;
  pqxx::connection db_;
  std::vector<std::string> env_;
};

int Main(int argc, char** argv) {
  Args args;
  if (!Parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: reencrypt_bench [--rows 100000,1000000] [--pgcrypto-rows 20000] "
                 "[--batch-size 1000] [--repeat 3] [--locksmith PATH]\n");
    return 2;
  }
  auto cluster = testing::PostgresCluster::Start("reencrypt_bench");
  if (!cluster.ok()) {
    Fail("postgres: " + cluster.error().message);
  }
  char dir_template[] = "/tmp/reencrypt-bench-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    Fail("mkdtemp failed");
  }
  const std::filesystem::path dir(dir_template);
  std::printf(
      "# locksmith reencrypt vs in-database UPDATE (floor) and pgcrypto; batch %ld, "
      "pgcrypto on the first %ld rows\n",
      args.batch_size, args.pgcrypto_rows);
  std::printf("%9s  %12s  %14s  %15s  %9s  %12s  %13s  %9s  %8s\n", "rows", "floor rows/s",
              "pgcrypto row/s", "locksmith row/s", "vs floor", "vs pgcrypto", "locksmith RSS",
              "locksmith", "floor");
  {
    Bench bench(args, **cluster, dir);
    for (const long rows : args.rows) {
      bench.RunSize(rows);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace locksmith

int main(int argc, char** argv) { return locksmith::Main(argc, argv); }
