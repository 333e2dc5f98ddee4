// WaitForCompletion: turns "start an operation, get a callback" into a call that waits.
//
//   bool ok = WaitForCompletion<bool>([&](auto done) { stream.PostWrite(msg, std::move(done)); });
//
// `start` receives a callback, which may be run on any thread (typically a gRPC callback
// thread), exactly once; WaitForCompletion waits for it and returns its argument.
//
// Threads: waits on the calling thread. Never call it on a gRPC callback thread or a coroutine
// loop, where waiting holds up everything else that thread serves.
#ifndef TANDEM_EXECUTORS_WAIT_FOR_COMPLETION_H_
#define TANDEM_EXECUTORS_WAIT_FOR_COMPLETION_H_

#include <utility>

#include "absl/synchronization/notification.h"

namespace tandem {

template <class Result, class Start>
Result WaitForCompletion(Start start) {
  Result result{};
  // Notification's destructor waits out a Notify still running: leaving at once is safe.
  absl::Notification done;
  start([&](Result value) {
    result = std::move(value);
    done.Notify();
  });
  done.WaitForNotification();
  return result;
}

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_WAIT_FOR_COMPLETION_H_
