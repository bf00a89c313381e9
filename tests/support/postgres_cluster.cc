#include "support/postgres_cluster.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <system_error>
#include <vector>

#include "core/subprocess.h"

namespace locksmith::testing {
namespace {

constexpr int kPgTestPort = 5432;  // only names the socket file: the directory is ours alone

// The newest installed server: /usr/lib/postgresql/<major>/bin.
Result<std::filesystem::path> FindPgBinDir() {
  std::vector<std::pair<int, std::filesystem::path>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::filesystem::path bin = entry.path() / "bin";
    if (std::filesystem::exists(bin / "initdb", ec)) {
      found.emplace_back(std::atoi(entry.path().filename().c_str()), bin);
    }
  }
  if (found.empty()) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "no PostgreSQL server under /usr/lib/postgresql/*/bin (apt-get install "
                     "postgresql)");
  }
  std::sort(found.begin(), found.end());
  return found.back().second;
}

}  // namespace

Result<void> PostgresCluster::RunAsOwner(std::vector<std::string> argv,
                                         std::string_view step) const {
  if (geteuid() == 0) {
    // PostgreSQL refuses to run as root.
    argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
  }
  internal::SubprocessLimits limits;
  limits.timeout = std::chrono::seconds(120);
  limits.max_stderr = 16 * 1024;
  auto out = internal::RunSubprocess(argv, limits);
  if (!out.ok()) {
    return MakeError(out.error().code, std::string(step) + ": " + out.error().message);
  }
  if (out->exit_code != 0) {
    return MakeError(ErrorCode::kInternal,
                     std::string(step) + " exited with " + std::to_string(out->exit_code) + ": " +
                         std::string(out->stdout_text.RevealUnsafe()) + out->stderr_text);
  }
  return {};
}

Result<std::unique_ptr<PostgresCluster>> PostgresCluster::Start(std::string database) {
  PostgresClusterOptions options;
  options.database = std::move(database);
  return Start(options);
}

Result<std::unique_ptr<PostgresCluster>> PostgresCluster::Start(
    const PostgresClusterOptions& options) {
  auto bin_dir = FindPgBinDir();
  if (!bin_dir.ok()) {
    return bin_dir.error();
  }
  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
  cluster->bin_dir_ = *bin_dir;
  cluster->database_ = options.database;
  // Under /tmp, not $TMPDIR: the postgres user must reach it, and a unix socket path is limited
  // to ~107 bytes.
  std::string tmpl = "/tmp/lspg-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) {
    return MakeError(ErrorCode::kInternal, "mkdtemp failed");
  }
  cluster->dir_ = tmpl;
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (pw == nullptr) {
      return MakeError(ErrorCode::kFailedPrecondition, "running as root and no postgres user");
    }
    if (chown(tmpl.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      return MakeError(ErrorCode::kInternal, "chown of the cluster directory failed");
    }
  }
  const std::string data = (cluster->dir_ / "data").string();
  if (auto r =
          cluster->RunAsOwner({(cluster->bin_dir_ / "initdb").string(), "-D", data, "-U",
                               "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"},
                              "initdb");
      !r.ok()) {
    return r.error();
  }
  {
    // Appended settings win over initdb's. Durability against power loss is not wanted in a
    // throwaway cluster (fsync off), but synchronous_commit stays on: Stop() is an immediate
    // shutdown, and with it off the last acknowledged commits would be lost with the WAL buffers,
    // which the "database restarted mid-run" tests would take for the job losing rows.
    std::ofstream conf(data + "/postgresql.conf", std::ios::app);
    conf << "\nlisten_addresses = ''\n"
         << "unix_socket_directories = '" << cluster->dir_.string() << "'\n"
         << "port = " << kPgTestPort << "\n"
         << "fsync = off\nfull_page_writes = off\n"
         << "max_connections = 30\nshared_buffers = 32MB\n";
    if (options.log_all_statements) {
      conf << "log_statement = 'all'\nlog_connections = on\nlog_min_error_statement = info\n";
    }
    if (!conf) {
      return MakeError(ErrorCode::kInternal, "cannot write postgresql.conf");
    }
  }
  if (options.password_auth) {
    // Replaces initdb's file (first matching line wins): the superuser keeps trust, so the
    // tests' own setup needs no password; everyone else must present one.
    std::ofstream hba(data + "/pg_hba.conf", std::ios::trunc);
    hba << "local all postgres trust\n"
        << "local all all scram-sha-256\n";
    if (!hba) {
      return MakeError(ErrorCode::kInternal, "cannot write pg_hba.conf");
    }
  }
  if (auto r = cluster->Resume(); !r.ok()) {
    return r.error();
  }
  if (auto r = cluster->RunAsOwner(
          {(cluster->bin_dir_ / "createdb").string(), "-h", cluster->dir_.string(), "-p",
           std::to_string(kPgTestPort), "-U", "postgres", cluster->database_},
          "createdb");
      !r.ok()) {
    return r.error();
  }
  return cluster;
}

Result<PostgresCluster*> PostgresCluster::Shared() {
  // Started once; a failure is remembered so every test reports it rather than retrying.
  static Result<std::unique_ptr<PostgresCluster>> shared = Start();
  if (!shared.ok()) {
    return shared.error();
  }
  return shared->get();
}

PostgresCluster::~PostgresCluster() {
  if (running_) {
    if (auto stopped = Stop(); !stopped.ok()) {
      // Never leave a server behind: SIGQUIT (immediate shutdown) to the postmaster by its pid
      // file, then remove the directory anyway.
      std::fprintf(stderr, "PostgresCluster: %s\n", stopped.error().ToString().c_str());
      std::ifstream pid_file(dir_ / "data" / "postmaster.pid");
      long pid = 0;
      if (pid_file >> pid && pid > 1) {
        kill(static_cast<pid_t>(pid), SIGQUIT);
      }
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PostgresCluster::Dsn(std::string_view user) const {
  return "host=" + dir_.string() + " port=" + std::to_string(kPgTestPort) + " dbname=" + database_ +
         " user=" + std::string(user);
}

Result<void> PostgresCluster::Stop() {
  auto r = RunAsOwner({(bin_dir_ / "pg_ctl").string(), "-D", (dir_ / "data").string(), "-m",
                       "immediate", "-w", "stop"},
                      "pg_ctl stop");
  if (r.ok()) {
    running_ = false;
  }
  return r;
}

Result<void> PostgresCluster::Resume() {
  auto r = RunAsOwner({(bin_dir_ / "pg_ctl").string(), "-D", (dir_ / "data").string(), "-l",
                       (dir_ / "log").string(), "-w", "-t", "60", "start"},
                      "pg_ctl start");
  if (r.ok()) {
    running_ = true;
  }
  return r;
}

Result<void> PostgresCluster::Restart() {
  if (auto r = Stop(); !r.ok()) {
    return r;
  }
  return Resume();
}

}  // namespace locksmith::testing
