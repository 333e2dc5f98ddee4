// `tandem methods HOST:PORT`: where a Tandem server's migration stands. Asks the server's admin
// service (tandem.admin.v1.ServerAdmin/ListMethods, server/admin_service.h) for each method's
// handler style, executor and call counts, and for its one-way and shadow results, and shows them
// as the table the examples print at shutdown (FormatMethodReport, server/method_report.h), or
// as the answer in protobuf's JSON form:
//
//   {"methods":[{"method":"/tandem.examples.Greeter/SayHello","style":"HANDLER_STYLE_BLOCKING",
//                "executor":"tandem-pool","started":"3","finishedOk":"2","finishedError":"1"},...]}
//
// (every count present, 64-bit counts as strings, "oneWay" and "shadow" only where they apply).
//
// Failures, by the kinds of exit_code.h: a server without the admin service (not a Tandem
// server, or one built with EnableAdminService(false)) is UNIMPLEMENTED (exit 5), one that
// cannot be reached UNAVAILABLE (6), the --deadline passing DEADLINE_EXCEEDED (7); any other
// status from the server is UNKNOWN (1) with its code and message.
//
// Threads: callable from any thread; blocks for one call.
#ifndef TANDEM_TOOLS_CLI_METHODS_H_
#define TANDEM_TOOLS_CLI_METHODS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "tools/cli/call_settings.h"

namespace tandem::cli {

enum class MethodsFormat { kTable, kJson };

// What to print on stdout: the table, or the JSON object on one line; ends with '\n'.
absl::StatusOr<std::string> DescribeMethods(const std::shared_ptr<grpc::Channel>& channel,
                                            const CallSettings& settings, MethodsFormat format);

}  // namespace tandem::cli

#endif  // TANDEM_TOOLS_CLI_METHODS_H_
