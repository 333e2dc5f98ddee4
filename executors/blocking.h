// Tandem's blocking points: waits that suspend only the fiber when called on a fiber, and block
// the thread when called anywhere else.
//
// Blocking-style code written against these runs unchanged on a ThreadPool (one thread per
// running handler) and on a FiberPool (thousands of handlers on a few threads): on a fiber, each
// wait lets the thread run other fibers meanwhile. The same holds for the other blocking points:
// tandem::Mutex and tandem::CondVar (executors/mutex.h), tandem::Event (executors/event.h),
// tandem::Future (executors/future.h), the generated blocking client calls, and
// ServerContext::WaitForCancellation.
//
// Misuse: on a fiber, anything that blocks the thread instead (absl::SleepFor, std::mutex or
// absl::Mutex held across a wait, a blocking socket read, std::future::get) stalls every fiber of
// that thread. The watchdog (executors/watchdog.h) names the work that does so.
// None of these may be called on a coroutine loop or a gRPC callback thread, which must never
// block; coroutines co_await instead (tandem::AsyncSleepFor).
//
// Threads: every function here may be called from any thread.
#ifndef TANDEM_EXECUTORS_BLOCKING_H_
#define TANDEM_EXECUTORS_BLOCKING_H_

#include "absl/time/time.h"

namespace tandem {

// True when the caller runs on a fiber of a FiberPool.
bool OnFiber();

// Waits for `duration`. On a fiber, other fibers run meanwhile.
void SleepFor(absl::Duration duration);

// Lets other work run first: on a fiber, every ready fiber of its pool with at least its priority;
// elsewhere, whatever the OS scheduler picks (std::this_thread::yield). Use it in long computations
// on a fiber, which otherwise hold their thread (and the watchdog reports them).
void Yield();

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_BLOCKING_H_
