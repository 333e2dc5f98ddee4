#include "tests/cluster/call_tally.h"

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "client/call_options.h"

namespace tandem::testing {

int Tally::ok() const {
  int total = 0;
  for (const auto& [pid, calls] : by_pid) total += calls;
  return total;
}

int Tally::failed() const {
  int total = 0;
  for (const auto& [code, calls] : failures) total += calls;
  return total;
}

namespace {

// What the calls in flight report to; shared with their callbacks, which may still be leaving
// the mutex when CallMany returns.
struct CallsInFlight {
  absl::Mutex mu;
  Tally tally ABSL_GUARDED_BY(mu);
  int running ABSL_GUARDED_BY(mu) = 0;
  int ended ABSL_GUARDED_BY(mu) = 0;
};

}  // namespace

Tally CallMany(TestClient& client, int calls, int in_flight, std::atomic<int>* done) {
  auto state = std::make_shared<CallsInFlight>();
  TestRequest request;
  request.set_action(TestRequest::ECHO);
  auto room = [&state, in_flight]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state->mu) {
    return state->running < in_flight;
  };
  auto all_ended = [&state, calls]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state->mu) {
    return state->ended == calls;
  };
  for (int i = 0; i < calls; ++i) {
    {
      absl::MutexLock lock(&state->mu);
      state->mu.Await(absl::Condition(&room));
      ++state->running;
    }
    CallAsync(client, Method::kBlocking, request, CallOptions().set_timeout(absl::Seconds(20)),
              [state, done](absl::StatusOr<TestReply> reply) {
                if (done != nullptr) done->fetch_add(1, std::memory_order_relaxed);
                absl::MutexLock lock(&state->mu);
                if (reply.ok()) {
                  ++state->tally.by_pid[reply->server_pid()];
                } else {
                  ++state->tally.failures[reply.status().code()];
                }
                --state->running;
                ++state->ended;
              });
  }
  absl::MutexLock lock(&state->mu);
  state->mu.Await(absl::Condition(&all_ended));
  return state->tally;
}

}  // namespace tandem::testing
