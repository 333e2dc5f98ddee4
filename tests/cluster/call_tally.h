// CallMany: many ECHO calls of the test service over one client, a bounded number in flight,
// counted by the process that answered (TestReply::server_pid) and, for failures, by code.
//
// Threads: CallMany blocks its caller until every call has ended; `done`, if given, counts the
// ended calls as they end, for another thread to watch.
#ifndef TANDEM_TESTS_CLUSTER_CALL_TALLY_H_
#define TANDEM_TESTS_CLUSTER_CALL_TALLY_H_

#include <atomic>
#include <cstdint>
#include <map>

#include "absl/status/status.h"
#include "tests/testing/test_methods.h"

namespace tandem::testing {

struct Tally {
  std::map<int64_t, int> by_pid;                // OK calls per serving process
  std::map<absl::StatusCode, int> failures;     // failed calls per code
  int ok() const;
  int failed() const;
};

Tally CallMany(TestClient& client, int calls, int in_flight, std::atomic<int>* done = nullptr);

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_CLUSTER_CALL_TALLY_H_
