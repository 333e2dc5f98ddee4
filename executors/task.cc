#include "executors/task.h"

#include "asio/steady_timer.hpp"
#include "asio/this_coro.hpp"
#include "asio/use_awaitable.hpp"

namespace tandem {

Task<void> AsyncSleepFor(absl::Duration duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor, absl::ToChronoNanoseconds(duration));
  co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace tandem
