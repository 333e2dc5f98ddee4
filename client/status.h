// Conversions between gRPC's and Abseil's status types: the same codes, the same message.
// Tandem's client calls return absl::Status; handlers return grpc::Status.
#ifndef TANDEM_CLIENT_STATUS_H_
#define TANDEM_CLIENT_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace tandem {

absl::Status ToAbslStatus(const grpc::Status& status);
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace tandem

#endif  // TANDEM_CLIENT_STATUS_H_
