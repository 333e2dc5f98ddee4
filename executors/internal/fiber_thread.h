// Marks the threads of FiberPools, so that Tandem's blocking points know to suspend the fiber
// instead of blocking the thread (see executors/blocking.h).
//
// Threads: MarkFiberPoolThread affects only the calling thread.
#ifndef TANDEM_EXECUTORS_INTERNAL_FIBER_THREAD_H_
#define TANDEM_EXECUTORS_INTERNAL_FIBER_THREAD_H_

namespace tandem::executors_internal {

// Called by each FiberPool thread before it runs any fiber; lasts until the thread exits.
void MarkFiberPoolThread();

}  // namespace tandem::executors_internal

#endif  // TANDEM_EXECUTORS_INTERNAL_FIBER_THREAD_H_
