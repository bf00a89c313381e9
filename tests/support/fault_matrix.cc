#include "support/fault_matrix.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

namespace locksmith::testing {

int RefusedPortForTest() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return 1;  // port 1: nothing listens there on a test machine either
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);  // bound, never listened: connecting is refused
  return port;
}

double MetricSample(const std::string& text, std::string_view name, std::string_view label) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(std::string(name) + "{", 0) != 0 || line.find(label) == std::string::npos) {
      continue;
    }
    const auto space = line.rfind(' ');
    return space == std::string::npos ? 0 : std::strtod(line.c_str() + space + 1, nullptr);
  }
  return 0;
}

}  // namespace locksmith::testing
