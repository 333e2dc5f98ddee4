// MethodStats on the wire: tandem::MethodStats (server/service.h) to and from
// tandem.admin.v1.MethodStats (proto/tandem_admin.proto), the admin service's answer. Only the
// fields FormatMethodReport (server/method_report.h) shows travel; the others come back zero.
//
// Threads: pure functions, callable from any thread.
#ifndef TANDEM_SERVER_METHOD_STATS_PROTO_H_
#define TANDEM_SERVER_METHOD_STATS_PROTO_H_

#include "proto/tandem_admin.pb.h"
#include "server/service.h"

namespace tandem {

admin::v1::MethodStats MethodStatsToProto(const MethodStats& stats);

// A style this build does not know (from a newer server) comes back as a HandlerStyle outside
// the enum's values, which HandlerStyleName calls "unknown".
MethodStats MethodStatsFromProto(const admin::v1::MethodStats& proto);

}  // namespace tandem

#endif  // TANDEM_SERVER_METHOD_STATS_PROTO_H_
