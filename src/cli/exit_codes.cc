#include <ostream>

#include "cli/commands.h"

namespace locksmith {

int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return kExitUsage;
    case ErrorCode::kNotFound:
      return kExitNotFound;
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kUnauthenticated:
      return kExitDenied;
    case ErrorCode::kUnavailable:
    case ErrorCode::kThrottled:
    case ErrorCode::kDeadlineExceeded:
      return kExitUnavailable;
    default:
      return kExitFailure;
  }
}

int ReportError(const Error& error, std::ostream& err) {
  err << "locksmith: " << error.message << "\n";
  err.flush();
  return ExitCodeFor(error.code);
}

}  // namespace locksmith
