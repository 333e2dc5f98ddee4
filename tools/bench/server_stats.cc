#include "tools/bench/server_stats.h"

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "proto/tandem_admin.grpc.pb.h"

namespace tandem::bench {

ShadowCounts& ShadowCounts::operator+=(const ShadowCounts& other) {
  calls += other.calls;
  matches += other.matches;
  mismatches += other.mismatches;
  candidate_errors += other.candidate_errors;
  skipped += other.skipped;
  in_flight += other.in_flight;
  if (candidate_executor.empty()) candidate_executor = other.candidate_executor;
  return *this;
}

absl::StatusOr<ShadowCounts> ReadShadowCounts(const std::string& target, absl::string_view method,
                                              absl::Duration timeout) {
  constexpr absl::Duration kPollPeriod = absl::Milliseconds(20);
  const std::unique_ptr<admin::v1::ServerAdmin::Stub> admin = admin::v1::ServerAdmin::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  const absl::Time give_up = absl::Now() + timeout;
  while (true) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    admin::v1::ListMethodsResponse response;
    const grpc::Status status = admin->ListMethods(&context, {}, &response);
    if (!status.ok()) {
      return absl::UnavailableError(absl::StrCat("the admin service of ", target,
                                                 " did not answer: ", status.error_message()));
    }
    const admin::v1::MethodStats* found = nullptr;
    for (const admin::v1::MethodStats& stats : response.methods()) {
      if (stats.method() == method) found = &stats;
    }
    if (found == nullptr || !found->has_shadow()) {
      return absl::NotFoundError(
          absl::StrCat(target, " has no shadowed method ", method, " (ListMethods)"));
    }
    ShadowCounts counts{.calls = found->started(),
                        .matches = found->shadow().matches(),
                        .mismatches = found->shadow().mismatches(),
                        .candidate_errors = found->shadow().candidate_errors(),
                        .skipped = found->shadow().skipped(),
                        .in_flight = found->shadow().in_flight(),
                        .candidate_executor = found->shadow().executor()};
    if ((counts.in_flight == 0 && counts.settled() >= counts.calls) || absl::Now() >= give_up) {
      return counts;
    }
    absl::SleepFor(kPollPeriod);
  }
}

}  // namespace tandem::bench
