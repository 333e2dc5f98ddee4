// What a Tandem bench server says about one of its methods, read from outside its process through
// the admin service every Tandem server serves (tandem.admin.v1.ServerAdmin, server/
// admin_service.h): for the shadow scenario, how the candidate's answers compared with the
// primary's after a run.
//
// Threads: ReadShadowCounts blocks the calling thread (it polls); any thread may call it.
#ifndef TANDEM_TOOLS_BENCH_SERVER_STATS_H_
#define TANDEM_TOOLS_BENCH_SERVER_STATS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tandem::bench {

// A shadowed method's counts since its server started (tandem::MethodStats' shadow_* fields),
// and its own calls whose handler could be shadowed. With a share of 1, once the server is idle,
// every call is either compared (a match, a mismatch or a candidate error) or skipped:
// calls == matches + mismatches + candidate_errors + skipped.
struct ShadowCounts {
  uint64_t calls = 0;  // the primary's calls (MethodStats::started)
  uint64_t matches = 0;
  uint64_t mismatches = 0;
  uint64_t candidate_errors = 0;
  uint64_t skipped = 0;  // not shadowed: max_in_flight candidate calls were running
  int in_flight = 0;     // candidate calls still running when read
  std::string candidate_executor;

  uint64_t settled() const { return matches + mismatches + candidate_errors + skipped; }

  ShadowCounts& operator+=(const ShadowCounts& other);
};

// Asks the server at `target` (a loopback "host:port") for the shadow counts of `method`
// ("/package.Service/Method"), until every call is settled (no candidate in flight, and
// settled() == calls) or `timeout` passes; then returns the last answer, settled or not. Fails
// if the server does not answer, or `method` is not shadowed there.
absl::StatusOr<ShadowCounts> ReadShadowCounts(const std::string& target, absl::string_view method,
                                              absl::Duration timeout);

}  // namespace tandem::bench

#endif  // TANDEM_TOOLS_BENCH_SERVER_STATS_H_
