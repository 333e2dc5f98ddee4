// ExecutorBinding: where a test server runs its blocking handlers, as one named choice a test
// runs under. ImplementationTest (testing/implementations.h) runs each test body once per binding;
// InProcessServer (testing/in_process_server.h) takes one binding per server.
//
//   ExecutorBinding::Threads()  blocking handlers on a ThreadPool (an OS thread per running call)
//   ExecutorBinding::Fibers()   the same handlers on a FiberPool of 2 threads (a fiber per call)
//
// The binding's executor becomes the server's default blocking executor
// (ServerBuilder::SetDefaultBlockingExecutor): it runs every blocking-style handler that
// ServiceOptions::Bind does not send elsewhere. Coroutine handlers still run on the server's
// coroutine loop and callback handlers inline, whatever the binding, so a service written only
// in those styles runs the same under every binding. A binding of your own is a name and a
// factory:
//
//   ExecutorBinding{"ManyFibers", [] {
//     return std::make_shared<tandem::FiberPool>(tandem::FiberPool::Options{.threads = 8});
//   }}
//
// Name: shown in test names ("CoroutineGreeter_Fibers"), so letters and digits only.
// Threads: a binding is a value, copied freely. `make_blocking_executor` is called once per server
// started, from the thread that starts it.
// Lifetime: each server gets a fresh executor; InProcessServer stops it after the server has shut
// down (Executor::ShutdownAndWait).
#ifndef TANDEM_TESTING_EXECUTOR_BINDING_H_
#define TANDEM_TESTING_EXECUTOR_BINDING_H_

#include <functional>
#include <memory>
#include <string>

#include "executors/executor.h"

namespace tandem::testing {

struct ExecutorBinding {
  // The executor names Threads() and Fibers() give their pools, as MethodStats::executor shows.
  static constexpr char kThreadsExecutorName[] = "testing-threads";
  static constexpr char kFibersExecutorName[] = "testing-fibers";

  // A ThreadPool named kThreadsExecutorName, with ThreadPool's default size (16 threads).
  static ExecutorBinding Threads();
  // A FiberPool named kFibersExecutorName on 2 threads: few enough that a handler which stalls
  // its thread (absl::SleepFor, std::mutex, a blocking syscall) stalls other calls and shows.
  static ExecutorBinding Fibers();

  std::string name;
  // Makes a fresh executor for the server's blocking handlers. Null: the server's own ThreadPool
  // ("tandem-pool", as a production server without SetDefaultBlockingExecutor has).
  std::function<std::shared_ptr<Executor>()> make_blocking_executor;
};

}  // namespace tandem::testing

#endif  // TANDEM_TESTING_EXECUTOR_BINDING_H_
