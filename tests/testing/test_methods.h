// The unary TestService methods, one per handler style (and default executor), and one call of
// any of them in each client form: what tests iterate over, and how TestServiceImpl's FORWARD
// handlers call onward.
//
// Threads: the calls may be made from any thread; CallAsync's `on_done` runs on a gRPC callback
// thread (it must not block), CallCoroutine resumes on the caller's loop.
#ifndef TANDEM_TESTS_TESTING_TEST_METHODS_H_
#define TANDEM_TESTS_TESTING_TEST_METHODS_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/call_options.h"
#include "executors/task.h"
#include "proto/test_service.tandem.h"

namespace tandem::testing {

// A TestService method, and so the handler style (and default executor) it runs in.
enum class Method { kBlocking, kCoroutine, kCallback, kCallbackOnPool };

std::string MethodName(Method method);  // its name in the .proto: "Blocking"
std::optional<Method> MethodNamed(absl::string_view name);

using TestClient = TestServiceTandem::Client;

// Waits for the reply (on a fiber, only the fiber waits).
absl::StatusOr<TestReply> CallBlocking(TestClient& client, Method method,
                                       const TestRequest& request, const CallOptions& options);
// Returns at once; `on_done` gets the reply.
void CallAsync(TestClient& client, Method method, const TestRequest& request,
               const CallOptions& options,
               std::function<void(absl::StatusOr<TestReply>)> on_done);
Task<absl::StatusOr<TestReply>> CallCoroutine(TestClient& client, Method method,
                                              TestRequest request, CallOptions options);

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_TESTING_TEST_METHODS_H_
