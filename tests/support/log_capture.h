// LogCapture: while alive, everything the "locksmith" logger writes is also kept in memory, so
// tests can assert on warnings and scan logs for planted secret values.
#pragma once

#include <memory>
#include <sstream>
#include <string>

namespace spdlog::sinks {
class sink;
}

namespace locksmith::testing {

class LogCapture {
 public:
  LogCapture();
  ~LogCapture();
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::string Text() const;

 private:
  std::shared_ptr<std::ostringstream> stream_;
  std::shared_ptr<spdlog::sinks::sink> sink_;
};

}  // namespace locksmith::testing
