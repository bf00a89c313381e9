// libpqxx exceptions as locksmith errors, through the shared SQLSTATE table (pg/pg_status.h):
// messages name what the job was doing and the SQLSTATE, never the server's text.
#pragma once

#include <exception>
#include <string_view>
#include <utility>

#include "locksmith/result.h"

namespace locksmith::internal {

// The exception currently being handled (call inside a catch block), as an Error.
Error CurrentPgError(std::string_view doing);

// Runs `fn` (which talks to the database and returns a Result) and turns any exception into an
// Error through CurrentPgError.
template <typename Fn>
auto GuardPg(std::string_view doing, Fn&& fn) -> decltype(std::forward<Fn>(fn)()) {
  try {
    return std::forward<Fn>(fn)();
  } catch (...) {
    return CurrentPgError(doing);
  }
}

}  // namespace locksmith::internal
