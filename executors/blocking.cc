#include "executors/blocking.h"

#include <thread>

#include "absl/time/clock.h"
#include "boost/fiber/operations.hpp"
#include "executors/internal/fiber_thread.h"
#include "executors/internal/steady_deadline.h"

namespace tandem {
namespace {

thread_local bool on_fiber_pool_thread = false;

}  // namespace

namespace executors_internal {

void MarkFiberPoolThread() { on_fiber_pool_thread = true; }

}  // namespace executors_internal

bool OnFiber() { return on_fiber_pool_thread; }

void SleepFor(absl::Duration duration) {
  if (duration <= absl::ZeroDuration()) return;
  // A plain thread could sleep through Boost.Fiber as well (its implicit main fiber would wait),
  // but that would give every thread that ever sleeps a fiber scheduler of its own.
  if (!OnFiber()) {
    absl::SleepFor(duration);
    return;
  }
  boost::this_fiber::sleep_until(executors_internal::SteadyDeadlineAfter(duration));
}

void Yield() {
  if (OnFiber()) {
    boost::this_fiber::yield();
  } else {
    std::this_thread::yield();
  }
}

}  // namespace tandem
