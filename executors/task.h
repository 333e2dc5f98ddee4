// Task<T>: the return type of a Tandem coroutine.
//
// Tandem's coroutines are Asio's: `Task<T>` is `asio::awaitable<T>`, so a handler can co_await
// anything that accepts `asio::use_awaitable` (timers, sockets, Tandem's client calls) and gets
// Asio's guarantees: a coroutine resumes on the executor it was spawned on, its loop thread,
// never on the thread that completed the operation.
//
// Threads: a Task runs only on the loop it was spawned on (see CoroutineLoop).
#ifndef TANDEM_EXECUTORS_TASK_H_
#define TANDEM_EXECUTORS_TASK_H_

#include "absl/time/time.h"
#include "asio/awaitable.hpp"

namespace tandem {

template <class T = void>
using Task = asio::awaitable<T>;

// Suspends the calling coroutine for `duration` without holding its loop thread.
Task<void> AsyncSleepFor(absl::Duration duration);

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_TASK_H_
