// RunConcurrentCalls: starts many calls to the test service's Blocking method at once, from one
// client thread, and waits (bounded) until every one has answered.
//
// The scale test and the scale report use it to put thousands of calls in flight together: every
// call is started before any is waited for (async client calls, completing on gRPC threads).
#ifndef TANDEM_TESTS_FIBERS_CONCURRENT_CALLS_H_
#define TANDEM_TESTS_FIBERS_CONCURRENT_CALLS_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "proto/test_service.tandem.h"

namespace tandem::testing {

struct ConcurrentCallsResult {
  int answered = 0;
  int ok = 0;               // answered OK with the request's message echoed
  std::string first_error;  // the first other outcome, if any
  absl::Duration wall;      // from the first call's start until the last answer (or the limit)
};

// Starts `count` calls with the requests `request_for(i)`, each with deadline `limit`, and waits up
// to `limit` (plus a margin) for all of them.
ConcurrentCallsResult RunConcurrentCalls(TestServiceTandem::Client& client, int count,
                                         const std::function<TestRequest(int)>& request_for,
                                         absl::Duration limit);

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_FIBERS_CONCURRENT_CALLS_H_
