#include "executors/internal/stack_pool.h"

#include "executors/internal/asan_fiber_stacks.h"

namespace tandem::executors_internal {

StackPool::StackPool(size_t stack_size, size_t max_cached)
    : maker_(stack_size), max_cached_(max_cached) {}

StackPool::~StackPool() {
  absl::MutexLock lock(&mu_);
  for (boost::context::stack_context& stack : idle_) maker_.deallocate(stack);
}

boost::context::stack_context StackPool::Allocate() {
  boost::context::stack_context stack;
  bool reused = false;
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      stack = idle_.back();
      idle_.pop_back();
      reused = true;
    }
  }
  if (!reused) stack = maker_.allocate();  // Outside the lock: it maps memory.
  RegisterFiberStack(stack.sp, stack.size);
  return stack;
}

void StackPool::Deallocate(boost::context::stack_context& stack) {
  UnregisterFiberStack(stack.sp);
  {
    absl::MutexLock lock(&mu_);
    if (idle_.size() < max_cached_) {
      idle_.push_back(stack);
      return;
    }
  }
  maker_.deallocate(stack);
}

}  // namespace tandem::executors_internal
