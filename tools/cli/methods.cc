#include "tools/cli/methods.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "grpcpp/client_context.h"
#include "proto/tandem_admin.grpc.pb.h"
#include "server/method_report.h"
#include "server/method_stats_proto.h"

namespace tandem::cli {
namespace {

// A failed ListMethods as the tool's failure of its kind (exit_code.h).
absl::Status AdminCallFailed(const grpc::Status& status) {
  switch (status.error_code()) {
    case grpc::StatusCode::UNIMPLEMENTED:
      return absl::UnimplementedError(
          "server has no admin service (tandem.admin.v1.ServerAdmin): not a Tandem server, or "
          "one built with EnableAdminService(false)");
    case grpc::StatusCode::UNAVAILABLE:
      return absl::UnavailableError(absl::StrCat("server unreachable: ", status.error_message()));
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return absl::DeadlineExceededError(
          absl::StrCat("deadline exceeded while asking the server's admin service: ",
                       status.error_message()));
    default:
      return absl::UnknownError(absl::StrCat(
          "the admin service failed: ",
          absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())), ": ",
          status.error_message()));
  }
}

}  // namespace

absl::StatusOr<std::string> DescribeMethods(const std::shared_ptr<grpc::Channel>& channel,
                                            const CallSettings& settings, MethodsFormat format) {
  grpc::ClientContext context;
  settings.Apply(context);
  admin::v1::ListMethodsResponse response;
  const grpc::Status status = admin::v1::ServerAdmin::NewStub(channel)->ListMethods(
      &context, admin::v1::ListMethodsRequest(), &response);
  if (!status.ok()) return AdminCallFailed(status);

  if (format == MethodsFormat::kJson) {
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;  // a count of 0 is shown, not left out
    std::string json;
    const auto printed = google::protobuf::util::MessageToJsonString(response, &json, options);
    if (!printed.ok()) {
      return absl::InternalError(absl::StrCat("printing the answer as JSON: ",
                                              printed.message().ToString()));
    }
    return absl::StrCat(json, "\n");
  }
  std::vector<MethodStats> methods;
  methods.reserve(response.methods_size());
  for (const admin::v1::MethodStats& method : response.methods()) {
    methods.push_back(MethodStatsFromProto(method));
  }
  return FormatMethodReport(methods);
}

}  // namespace tandem::cli
