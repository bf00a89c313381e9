// AgentProcess: a running `locksmith agent --listen 127.0.0.1:0` child (the built CLI); learns its
// port from what the agent prints on stderr. ReadFirstLine reads the agent's token file.
#pragma once

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "integration/child_process.h"
#include "support/http_client.h"

namespace locksmith::testing {

class AgentProcess {
 public:
  AgentProcess(const std::string& cli, const std::vector<std::string>& env,
               std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {cli, "agent", "--listen", "127.0.0.1:0"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    child_ = std::make_unique<ChildProcess>(args, env);
    if (child_->WaitForStderr("locksmith agent: query it with", std::chrono::seconds(20))) {
      std::smatch m;
      const std::string& err = child_->err_so_far();
      if (std::regex_search(err, m, std::regex("listening on http://127\\.0\\.0\\.1:(\\d+)"))) {
        port_ = std::stoi(m[1].str());
      }
    }
  }
  int port() const { return port_; }
  pid_t pid() const { return child_->pid(); }
  HttpClient Client() const { return HttpClient("127.0.0.1", port_); }
  ProcessResult Terminate() {
    ::kill(child_->pid(), SIGTERM);
    return child_->Finish();
  }

 private:
  std::unique_ptr<ChildProcess> child_;
  int port_ = 0;
};

inline std::string ReadFirstLine(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace locksmith::testing
