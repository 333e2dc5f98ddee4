// StackPool: the fiber stacks of one FiberPool, kept for reuse.
//
// Each stack is Boost.Context's protected_fixedsize_stack: a mapping of its own with a guard page
// below it, so that an overflow faults instead of corrupting memory. Mapping and unmapping cost
// system calls, and unmapping costs a TLB shootdown on every core the process runs on; made and
// freed per fiber, they cost far more than everything else a fiber pool does for a task (about
// 100 us a task on this project's two-core machine). So a finished fiber's stack goes back here,
// for the next fiber, and at most `max_cached` idle stacks are kept: a burst of fibers maps what it
// needs, and leaves no more than `max_cached` stacks (and the pages they touched) behind.
//
// Threads: Allocate and Deallocate are thread-safe: a fiber may end on any thread of its pool.
// Lifetime: every stack handed out must come back before the pool is destroyed.
#ifndef TANDEM_EXECUTORS_INTERNAL_STACK_POOL_H_
#define TANDEM_EXECUTORS_INTERNAL_STACK_POOL_H_

#include <cstddef>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "boost/context/protected_fixedsize_stack.hpp"
#include "boost/context/stack_context.hpp"

namespace tandem::executors_internal {

class StackPool {
 public:
  StackPool(size_t stack_size, size_t max_cached);
  ~StackPool();

  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  boost::context::stack_context Allocate() ABSL_LOCKS_EXCLUDED(mu_);
  void Deallocate(boost::context::stack_context& stack) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  boost::context::protected_fixedsize_stack maker_;
  const size_t max_cached_;

  absl::Mutex mu_;
  std::vector<boost::context::stack_context> idle_ ABSL_GUARDED_BY(mu_);
};

// The StackAllocator Boost.Fiber takes when it makes a fiber: a handle to a StackPool.
class PooledStack {
 public:
  explicit PooledStack(StackPool* pool) : pool_(pool) {}

  boost::context::stack_context allocate() { return pool_->Allocate(); }
  void deallocate(boost::context::stack_context& stack) noexcept { pool_->Deallocate(stack); }

 private:
  StackPool* pool_;
};

}  // namespace tandem::executors_internal

#endif  // TANDEM_EXECUTORS_INTERNAL_STACK_POOL_H_
