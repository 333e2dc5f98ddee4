#include "testing/executor_binding.h"

#include "executors/fiber_pool.h"
#include "executors/thread_pool.h"

namespace tandem::testing {

ExecutorBinding ExecutorBinding::Threads() {
  return {.name = "Threads", .make_blocking_executor = []() -> std::shared_ptr<Executor> {
            return std::make_shared<ThreadPool>(ThreadPool::Options{.name = kThreadsExecutorName});
          }};
}

ExecutorBinding ExecutorBinding::Fibers() {
  return {.name = "Fibers", .make_blocking_executor = []() -> std::shared_ptr<Executor> {
            return std::make_shared<FiberPool>(
                FiberPool::Options{.name = kFibersExecutorName, .threads = 2});
          }};
}

}  // namespace tandem::testing
