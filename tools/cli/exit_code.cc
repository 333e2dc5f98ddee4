#include "tools/cli/exit_code.h"

namespace tandem::cli {

ExitCode ToolExitCode(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kFailedPrecondition:
      return kExitUsage;
    case absl::StatusCode::kInvalidArgument:
      return kExitBadRequest;
    case absl::StatusCode::kNotFound:
      return kExitUnknownSymbol;
    case absl::StatusCode::kUnimplemented:
      return kExitNoReflection;
    case absl::StatusCode::kUnavailable:
      return kExitUnreachable;
    case absl::StatusCode::kDeadlineExceeded:
      return kExitDeadlineExceeded;
    default:
      return kExitCallFailed;
  }
}

ExitCode CallExitCode(const grpc::Status& status, int responses_received) {
  switch (status.error_code()) {
    case grpc::StatusCode::OK:
      return kExitOk;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kExitDeadlineExceeded;
    case grpc::StatusCode::UNAVAILABLE:
      return responses_received == 0 ? kExitUnreachable : kExitCallFailed;
    default:
      return kExitCallFailed;
  }
}

}  // namespace tandem::cli
