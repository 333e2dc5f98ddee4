#include "tests/fibers/concurrent_calls.h"

#include <memory>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "client/call_options.h"

namespace tandem::testing {
namespace {

// Shared with the calls' completions, so that a call answering after the wait gave up (a failed
// run) still lands somewhere valid.
struct Tally {
  absl::Mutex mu;
  int answered ABSL_GUARDED_BY(mu) = 0;
  int ok ABSL_GUARDED_BY(mu) = 0;
  std::string first_error ABSL_GUARDED_BY(mu);
};

}  // namespace

ConcurrentCallsResult RunConcurrentCalls(TestServiceTandem::Client& client, int count,
                                         const std::function<TestRequest(int)>& request_for,
                                         absl::Duration limit) {
  auto tally = std::make_shared<Tally>();
  const absl::Time start = absl::Now();
  const CallOptions options = CallOptions().set_deadline(start + limit);
  for (int i = 0; i < count; ++i) {
    TestRequest request = request_for(i);
    std::string expected = request.message();
    // A plain callback: runs on a gRPC thread, and only counts.
    client.AsyncBlocking(request, options,
                         [tally, expected = std::move(expected)](absl::StatusOr<TestReply> reply) {
                           absl::MutexLock lock(&tally->mu);
                           ++tally->answered;
                           if (reply.ok() && reply->message() == expected) {
                             ++tally->ok;
                           } else if (tally->first_error.empty()) {
                             tally->first_error =
                                 reply.ok() ? absl::StrCat("wrong reply: ", reply->message())
                                            : reply.status().ToString();
                           }
                         });
  }
  ConcurrentCallsResult result;
  absl::MutexLock lock(&tally->mu);
  auto all_answered = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(tally->mu) {
    return tally->answered == count;
  };
  tally->mu.AwaitWithTimeout(absl::Condition(&all_answered), limit + absl::Seconds(10));
  result.wall = absl::Now() - start;
  result.answered = tally->answered;
  result.ok = tally->ok;
  result.first_error = tally->first_error;
  return result;
}

}  // namespace tandem::testing
