#include "tests/testing/test_methods.h"

#include <utility>

namespace tandem::testing {

std::string MethodName(Method method) {
  switch (method) {
    case Method::kBlocking:
      return "Blocking";
    case Method::kCoroutine:
      return "Coroutine";
    case Method::kCallback:
      return "Callback";
    case Method::kCallbackOnPool:
      return "CallbackOnPool";
  }
  return "Unknown";
}

std::optional<Method> MethodNamed(absl::string_view name) {
  for (Method method :
       {Method::kBlocking, Method::kCoroutine, Method::kCallback, Method::kCallbackOnPool}) {
    if (MethodName(method) == name) return method;
  }
  return std::nullopt;
}

absl::StatusOr<TestReply> CallBlocking(TestClient& client, Method method,
                                       const TestRequest& request, const CallOptions& options) {
  switch (method) {
    case Method::kBlocking:
      return client.Blocking(request, options);
    case Method::kCoroutine:
      return client.Coroutine(request, options);
    case Method::kCallback:
      return client.Callback(request, options);
    case Method::kCallbackOnPool:
      return client.CallbackOnPool(request, options);
  }
  return absl::InternalError("unknown method");
}

void CallAsync(TestClient& client, Method method, const TestRequest& request,
               const CallOptions& options,
               std::function<void(absl::StatusOr<TestReply>)> on_done) {
  switch (method) {
    case Method::kBlocking:
      return client.AsyncBlocking(request, options, std::move(on_done));
    case Method::kCoroutine:
      return client.AsyncCoroutine(request, options, std::move(on_done));
    case Method::kCallback:
      return client.AsyncCallback(request, options, std::move(on_done));
    case Method::kCallbackOnPool:
      return client.AsyncCallbackOnPool(request, options, std::move(on_done));
  }
}

Task<absl::StatusOr<TestReply>> CallCoroutine(TestClient& client, Method method,
                                              TestRequest request, CallOptions options) {
  switch (method) {
    case Method::kBlocking:
      co_return co_await client.CoBlocking(request, options);
    case Method::kCoroutine:
      co_return co_await client.CoCoroutine(request, options);
    case Method::kCallback:
      co_return co_await client.CoCallback(request, options);
    case Method::kCallbackOnPool:
      co_return co_await client.CoCallbackOnPool(request, options);
  }
  co_return absl::InternalError("unknown method");
}

}  // namespace tandem::testing
