// The agent's HTTP text helpers, free of any server library: strict percent-decoding, query
// strings, the Host header check (DNS rebinding) and response serialization into one buffer.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "locksmith/result.h"

namespace locksmith::internal {

// Decodes %XX escapes (and '+' as a space when `plus_is_space`, as in a query string).
// nullopt for a malformed escape or a decoded NUL byte.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// "a=1&b=x%2Fy" -> {{"a","1"},{"b","x/y"}}. Empty segments are skipped; a segment without '='
// has an empty value. kInvalidArgument for a malformed escape, a NUL, or a parameter given twice
// (two answers to "which secretId?" would let a proxy and the agent disagree).
Result<QueryParams> ParseQuery(std::string_view query);

// The value of `name` in `params`, or nullopt.
std::optional<std::string_view> FindParam(const QueryParams& params, std::string_view name);

// True when a Host header names a loopback host, with or without a port: "localhost",
// "localhost:2773", "127.0.0.1:2773", "[::1]", "[::1]:2773". Anything else (a DNS name that
// resolved to 127.0.0.1 in a browser is exactly the rebinding case) is false.
bool IsLoopbackHostHeader(std::string_view host);

// The reason phrase for the statuses the agent sends.
std::string_view StatusReason(int status);

struct ResponseHead {
  int status = 200;
  std::string_view content_type;
  std::size_t content_length = 0;
  bool keep_alive = true;
  bool allow_get_head = false;  // adds "Allow: GET, HEAD" (405)
};

// Appends the status line and headers (ending with the blank line) to `out`.
void AppendResponseHead(const ResponseHead& head, std::string& out);

}  // namespace locksmith::internal
