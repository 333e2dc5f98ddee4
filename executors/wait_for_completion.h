// WaitForCompletion: turns "start an operation, get a callback" into a call that waits.
//
//   bool ok = WaitForCompletion<bool>([&](auto done) { stream.PostWrite(msg, std::move(done)); });
//
// `start` receives a callback, which may be run on any thread (typically a gRPC callback
// thread), exactly once; WaitForCompletion waits for it and returns its argument.
//
// Threads: a Tandem blocking point (executors/blocking.h): on a fiber it suspends only the fiber,
// elsewhere it blocks the calling thread. Never call it on a gRPC callback thread or a coroutine
// loop, where waiting holds up everything else that thread serves.
#ifndef TANDEM_EXECUTORS_WAIT_FOR_COMPLETION_H_
#define TANDEM_EXECUTORS_WAIT_FOR_COMPLETION_H_

#include <utility>

#include "executors/event.h"

namespace tandem {

template <class Result, class Start>
Result WaitForCompletion(Start start) {
  Result result{};
  // Event's destructor waits out a Notify still running: leaving at once is safe.
  Event done;
  start([&](Result value) {
    result = std::move(value);
    done.Notify();
  });
  done.Wait();
  return result;
}

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_WAIT_FOR_COMPLETION_H_
