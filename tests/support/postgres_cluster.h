// PostgresCluster: a throwaway PostgreSQL cluster for tests. initdb in a fresh directory under
// /tmp (as the `postgres` user when the tests run as root, as CI does), listening only on a unix
// socket in that directory, trust authentication (or, with password_auth, trust for the postgres
// superuser only and scram-sha-256 for every other role), one database created; stopped and
// removed on destruction. Uses the server programs of the newest /usr/lib/postgresql/*/bin
// (Debian's `postgresql` package). No libpqxx here: every test binary links this file.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "locksmith/result.h"

namespace locksmith::testing {

struct PostgresClusterOptions {
  std::string database = "locksmith_test";
  // pg_hba.conf: trust for the postgres superuser (so Dsn() keeps working without a password),
  // scram-sha-256 for every other role, which then logs in only with its password.
  bool password_auth = false;
  // log_statement = 'all' and log_connections: every statement reaches log_path(), for tests
  // that check what the server could have logged.
  bool log_all_statements = false;
};

class PostgresCluster {
 public:
  // initdb + start + createdb `database`. Errors name the step that failed and its output.
  static Result<std::unique_ptr<PostgresCluster>> Start(std::string database = "locksmith_test");
  static Result<std::unique_ptr<PostgresCluster>> Start(const PostgresClusterOptions& options);
  // One cluster per test binary, started on first use and stopped at exit (starting one takes
  // about a second; tests share it and use tables of their own).
  static Result<PostgresCluster*> Shared();

  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // "host=<socket dir> port=<port> dbname=<database> user=<user>"
  std::string Dsn(std::string_view user = "postgres") const;
  const std::string& database() const { return database_; }
  // The server's log (its stderr).
  std::filesystem::path log_path() const { return dir_ / "log"; }

  // For "database restarted mid-run" and "database down" tests: pg_ctl stop -m immediate (every
  // connection is cut at once, as in a crash) and start again.
  Result<void> Stop();
  Result<void> Resume();
  Result<void> Restart();

 private:
  PostgresCluster() = default;
  Result<void> RunAsOwner(std::vector<std::string> argv, std::string_view step) const;

  std::filesystem::path dir_;  // socket directory; data in dir_/data, server log in dir_/log
  std::filesystem::path bin_dir_;
  std::string database_;
  bool running_ = false;
};

}  // namespace locksmith::testing
