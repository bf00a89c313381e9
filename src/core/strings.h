// The string helpers every component shares (one Trim, one case-folding compare), and the one
// loopback test used for listen addresses and plain-http endpoints.
#pragma once

#include <string>
#include <string_view>

namespace locksmith::internal {

// Without leading and trailing ASCII white space (space, \t, \r, \n, \v, \f).
std::string_view Trim(std::string_view text);

// ASCII lower case.
char ToLower(char c);
std::string ToLower(std::string_view text);

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// Whether APP_ENV names a production deployment: "production" or "prod", in any case. The one
// rule behind the .env back end's refusal and the agent's development seeding.
bool IsProductionAppEnv(std::string_view app_env);

// Whether `host` names this machine's loopback interface: "localhost" or "localhost." in any
// case, an address in 127.0.0.0/8, or ::1 (bracketed or not). Anything else, including names
// that would need DNS to answer, is not loopback.
bool IsLoopbackHost(std::string_view host);

// The value of a hexadecimal digit (either case), or -1.
int HexDigitValue(char c);

// `text` for an error message about a name (never a value): its first 64 bytes, each byte that
// is not printable ASCII as '?', and "..." if it was longer. Keeps logs one line and short.
std::string PrintableExcerpt(std::string_view text);

}  // namespace locksmith::internal
