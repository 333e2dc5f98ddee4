// WatchedExecutor: an Asio executor that runs everything it is given inside a WatchScope, so that
// each resumption of a coroutine spawned on it counts, for the watchdog, as that coroutine's
// (labelled) work holding the loop thread.
//
// A coroutine keeps the executor it was spawned with: its first run, every resumption after a
// co_await, and anything posted to `co_await asio::this_coro::executor` go through execute() here.
// Everything else (queries, require, prefer) is the wrapped executor's.
//
// Threads: as the wrapped executor. The label must outlive the coroutine.
#ifndef TANDEM_EXECUTORS_INTERNAL_WATCHED_EXECUTOR_H_
#define TANDEM_EXECUTORS_INTERNAL_WATCHED_EXECUTOR_H_

#include <type_traits>
#include <utility>

#include "absl/time/time.h"
#include "asio/execution/execute.hpp"
#include "asio/prefer.hpp"
#include "asio/query.hpp"
#include "asio/require.hpp"
#include "executors/internal/watched_thread.h"
#include "executors/work_label.h"

namespace tandem::executors_internal {

template <class Inner>
class WatchedExecutor {
 public:
  WatchedExecutor(Inner inner, const WorkLabel* label, absl::Duration threshold) noexcept
      : inner_(std::move(inner)), label_(label), threshold_(threshold) {}

  template <class Property>
  auto query(const Property& property) const
      noexcept(noexcept(asio::query(std::declval<const Inner&>(), property)))
          -> decltype(asio::query(std::declval<const Inner&>(), property)) {
    return asio::query(inner_, property);
  }

  template <class Property>
  auto require(const Property& property) const -> WatchedExecutor<
      std::decay_t<decltype(asio::require(std::declval<const Inner&>(), property))>> {
    return {asio::require(inner_, property), label_, threshold_};
  }

  template <class Property>
  auto prefer(const Property& property) const -> WatchedExecutor<
      std::decay_t<decltype(asio::prefer(std::declval<const Inner&>(), property))>> {
    return {asio::prefer(inner_, property), label_, threshold_};
  }

  template <class Function>
  void execute(Function&& function) const {
    asio::execution::execute(
        inner_, [label = label_, threshold = threshold_,
                 function = std::forward<Function>(function)]() mutable {
          WatchScope watch(label, threshold);
          std::move(function)();
        });
  }

  friend bool operator==(const WatchedExecutor& a, const WatchedExecutor& b) noexcept {
    return a.inner_ == b.inner_ && a.label_ == b.label_ && a.threshold_ == b.threshold_;
  }
  friend bool operator!=(const WatchedExecutor& a, const WatchedExecutor& b) noexcept {
    return !(a == b);
  }

 private:
  Inner inner_;
  const WorkLabel* label_;
  absl::Duration threshold_;
};

}  // namespace tandem::executors_internal

#endif  // TANDEM_EXECUTORS_INTERNAL_WATCHED_EXECUTOR_H_
