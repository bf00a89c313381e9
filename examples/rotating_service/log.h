// Log: one line on stderr per event. Callers pass only names, versions, counts and error codes:
// never a secret, a token, an email or a server's error text.
#pragma once

#include <string_view>

namespace rotating_service {

void Log(std::string_view line);

}  // namespace rotating_service
