// Future<T> and tandem::use_future: the result of an asynchronous operation (a callback-style or
// coroutine client call, a coroutine, a cancellation), waited for by blocking-style code.
//
//   tandem::Future<absl::StatusOr<HelloReply>> reply =
//       client.AsyncSayHello(request, options, tandem::use_future);
//   ... other work while the call runs ...
//   absl::StatusOr<HelloReply> result = reply.get();  // on a fiber: suspends only the fiber
//
// `tandem::use_future` is an Asio completion token: pass it wherever Asio takes one (Tandem's
// Async* client calls, ServerContext::AsyncWaitCancelled, asio::co_spawn of a coroutine on a
// CoroutineLoop, Asio timers). The initiating call returns a Future<T> for completion signature
// void(T); void() gives Future<void>; the (std::exception_ptr[, T]) signatures of co_spawn give
// Future<T> whose get() rethrows the coroutine's exception.
//
// Future and Promise are Boost.Fiber's (boost::fibers::future/promise): get(), wait() and
// wait_for() suspend only the fiber on a fiber and block the thread anywhere else, like the rest
// of Tandem's blocking points (executors/blocking.h). asio::use_future's std::future, by contrast,
// would block the fiber's whole thread.
//
// Threads: the operation completes the future from whatever thread it completes on (often a gRPC
// callback thread); that never blocks. get() and wait*() from any one fiber or thread.
// Misuse: an operation that ends without completing (a cancellation wait abandoned when its call
// ends) breaks the promise: get() throws boost::fibers::future_error.
#ifndef TANDEM_EXECUTORS_FUTURE_H_
#define TANDEM_EXECUTORS_FUTURE_H_

#include <exception>
#include <utility>

#include "asio/async_result.hpp"
#include "boost/fiber/future.hpp"

namespace tandem {

template <class T>
using Future = boost::fibers::future<T>;
template <class T>
using Promise = boost::fibers::promise<T>;

struct UseFuture {};
inline constexpr UseFuture use_future{};

namespace executors_internal {

// The completion handlers behind use_future, one per completion signature.
template <class T>
struct SetValue {
  Promise<T> promise;
  void operator()(T value) { promise.set_value(std::move(value)); }
};

struct SetVoid {
  Promise<void> promise;
  void operator()() { promise.set_value(); }
};

template <class T>
struct SetValueOrException {
  Promise<T> promise;
  void operator()(std::exception_ptr error, T value) {
    if (error) {
      promise.set_exception(std::move(error));
    } else {
      promise.set_value(std::move(value));
    }
  }
};

struct SetVoidOrException {
  Promise<void> promise;
  void operator()(std::exception_ptr error) {
    if (error) {
      promise.set_exception(std::move(error));
    } else {
      promise.set_value();
    }
  }
};

// async_result for use_future: hands the operation a handler that fulfils a promise, and returns
// the promise's future.
template <class T, class Handler>
struct FutureAsyncResult {
  using return_type = Future<T>;

  template <class Initiation, class Token, class... Args>
  static return_type initiate(Initiation&& initiation, Token&&, Args&&... args) {
    Promise<T> promise;
    Future<T> future = promise.get_future();
    std::forward<Initiation>(initiation)(Handler{std::move(promise)}, std::forward<Args>(args)...);
    return future;
  }
};

}  // namespace executors_internal
}  // namespace tandem

namespace asio {

template <class T>
class async_result<tandem::UseFuture, void(T)>
    : public tandem::executors_internal::FutureAsyncResult<
          T, tandem::executors_internal::SetValue<T>> {};

template <>
class async_result<tandem::UseFuture, void()>
    : public tandem::executors_internal::FutureAsyncResult<
          void, tandem::executors_internal::SetVoid> {};

template <class T>
class async_result<tandem::UseFuture, void(std::exception_ptr, T)>
    : public tandem::executors_internal::FutureAsyncResult<
          T, tandem::executors_internal::SetValueOrException<T>> {};

template <>
class async_result<tandem::UseFuture, void(std::exception_ptr)>
    : public tandem::executors_internal::FutureAsyncResult<
          void, tandem::executors_internal::SetVoidOrException> {};

}  // namespace asio

#endif  // TANDEM_EXECUTORS_FUTURE_H_
