// TestServer: a real Tandem server for TestServiceImpl on 127.0.0.1 with a picked port, plus a
// channel and a Tandem client to it. And Call(): one test call through any method (handler style)
// in any client form, always bounded in time, so a hang fails a test instead of stalling it.
#ifndef TANDEM_TESTS_TESTING_TEST_SERVER_H_
#define TANDEM_TESTS_TESTING_TEST_SERVER_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "client/call_options.h"
#include "grpcpp/channel.h"
#include "proto/test_service.tandem.h"
#include "server/server.h"
#include "tests/testing/test_methods.h"
#include "tests/testing/test_service_impl.h"

namespace tandem::testing {

// How the client calls it.
enum class ClientForm { kBlocking, kAsyncCallback, kCoroutine };

std::string ClientFormName(ClientForm form);

class TestServer {
 public:
  // Lets a test change the builder and the service's options before the server starts.
  using Configure = std::function<void(ServerBuilder&, ServiceOptions&)>;

  // Starts the server; CallbackOnPool is bound to a 4-thread pool unless `configure` rebinds it.
  // Fails the calling test (ASSERT) if the server cannot start.
  static std::unique_ptr<TestServer> Start(Configure configure = nullptr);

  TestServiceImpl& service() { return service_; }
  Server& server() { return *server_; }
  TestServiceTandem::Client& client() { return *client_; }
  const std::shared_ptr<grpc::Channel>& channel() { return channel_; }

  // One call, waited for at most `limit` (then DEADLINE_EXCEEDED "test: no reply").
  absl::StatusOr<TestReply> Call(Method method, ClientForm form, const TestRequest& request,
                                 const CallOptions& options = CallOptions(),
                                 absl::Duration limit = absl::Seconds(30));

  // The stats of `method`: its name in the .proto ("Blocking") or its full name. An unknown
  // method fails the calling test.
  MethodStats StatsOf(absl::string_view method);
  // StatsOf(method), once every call the method started has been recorded as finished (OK or
  // not): polled, within `timeout`, because a call ends on the server (gRPC's OnDone) a moment
  // after its client hears the status. Returns the last stats seen either way.
  MethodStats StatsOnceIdle(absl::string_view method, absl::Duration timeout = absl::Seconds(20));
  // Whether `method` has received `calls` calls (MethodStats::started), polled within `timeout`.
  bool WaitUntilReceived(absl::string_view method, uint64_t calls,
                         absl::Duration timeout = absl::Seconds(20));

 private:
  TestServer() = default;

  // The service outlives the server (members are destroyed bottom-up).
  TestServiceImpl service_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<TestServiceTandem::Client> client_;
};

TestRequest MakeRequest(TestRequest::Action action, std::string message = "");

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_TESTING_TEST_SERVER_H_
