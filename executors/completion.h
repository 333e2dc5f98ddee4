// CompleteOnItsExecutor: how Tandem hands a result to an Asio completion handler.
//
// A handler with an executor of its own (a coroutine's use_awaitable handler, anything bound
// with asio::bind_executor) is posted to that executor, so a coroutine always resumes on its
// loop. A plain callback has no executor of its own (Asio's system executor) and runs at once,
// on the calling thread, which is often a gRPC callback thread: such callbacks must never block.
//
// Threads: any thread; never blocks (posting is non-blocking; the plain callback is the
// caller's responsibility).
#ifndef TANDEM_EXECUTORS_COMPLETION_H_
#define TANDEM_EXECUTORS_COMPLETION_H_

#include <tuple>
#include <type_traits>
#include <utility>

#include "asio/associated_executor.hpp"
#include "asio/post.hpp"
#include "asio/system_executor.hpp"

namespace tandem {

template <class Handler, class... Args>
void CompleteOnItsExecutor(Handler handler, Args... args) {
  auto executor = asio::get_associated_executor(handler);
  if constexpr (std::is_same_v<decltype(executor), asio::system_executor>) {
    std::move(handler)(std::move(args)...);
  } else {
    asio::post(executor, [handler = std::move(handler),
                          args = std::make_tuple(std::move(args)...)]() mutable {
      std::apply(std::move(handler), std::move(args));
    });
  }
}

}  // namespace tandem

#endif  // TANDEM_EXECUTORS_COMPLETION_H_
