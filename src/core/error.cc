// Error codes, their names and their translation to process exit codes.
#include "tailor/core/core.h"

namespace tailor {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kIO: return "io";
    case ErrorCode::kCorruption: return "corruption";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

ExitCode exit_code_for(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kCorruption:
      return ExitCode::kInvalidInput;
    case ErrorCode::kNotFound:
      return ExitCode::kNotFound;
    default:
      return ExitCode::kFailure;
  }
}

void throw_error(ErrorCode code, const std::string& message) { throw Error(code, message); }

}  // namespace tailor
