// ImplementationTest: one GoogleTest body, run against every implementation of a service on
// every executor binding. A team moving a service to a rewritten class keeps one test suite and
// runs it, unchanged, against the old class and the new one, on threads and on fibers:
//
//   using Implementations = tandem::testing::ImplementationTest<GreeterTandem>;
//
//   TEST_P(Implementations, SaysHello) {
//     absl::StatusOr<HelloReply> reply = client().SayHello(Named("Ada"), call_options());
//     ASSERT_TRUE(reply.ok()) << reply.status();
//     EXPECT_EQ(reply->message(), "Hello, Ada!");
//   }
//
//   INSTANTIATE_TEST_SUITE_P(
//       Greeter, Implementations,
//       tandem::testing::EveryCase({Implementation::Of<GreeterService>("Greeter", connect),
//                                   Implementation::Of<CoroutineGreeterService>(
//                                       "CoroutineGreeter", connect)}),
//       tandem::testing::CaseName);
//
// runs SaysHello four times, as Greeter/Implementations.SaysHello/Greeter_Threads, ..._Fibers,
// .../CoroutineGreeter_Threads and .../CoroutineGreeter_Fibers; a failure is reported under that
// name, "where GetParam() = CoroutineGreeter on Fibers". The body is written against client()
// alone and cannot tell which case runs (GetParam() says, for the rare test that must).
//
// Each case gets a server of its own (InProcessServer, testing/in_process_server.h), started in
// SetUp with a fresh instance of the implementation and shut down in TearDown; a server that
// cannot start fails the test before its body runs. To add ServiceOptions or builder settings,
// derive from ImplementationTest and override ServerOptions.
//
// Threads: the fixture is GoogleTest's, used from the test's thread. client() and server() may
// be used from any thread while the body runs; the client is thread-safe.
#ifndef TANDEM_TESTING_IMPLEMENTATIONS_H_
#define TANDEM_TESTING_IMPLEMENTATIONS_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/call_options.h"
#include "gtest/gtest.h"
#include "testing/executor_binding.h"
#include "testing/implementation.h"
#include "testing/in_process_server.h"

namespace tandem::testing {

// One run of a test body: an implementation on a binding.
struct ImplementationCase {
  Implementation implementation;
  ExecutorBinding executors;

  // "<implementation>_<binding>", the end of the test's name.
  std::string name() const;
};

// Shows a case in GoogleTest's messages as "CoroutineGreeter on Fibers".
void PrintTo(const ImplementationCase& implementation_case, std::ostream* out);

// Every implementation on every binding, implementation by implementation, for
// INSTANTIATE_TEST_SUITE_P. Empty lists fail the instantiation (GoogleTest reports a suite with
// no cases).
std::vector<ImplementationCase> EveryCaseOf(
    const std::vector<Implementation>& implementations,
    const std::vector<ExecutorBinding>& bindings = {ExecutorBinding::Threads(),
                                                    ExecutorBinding::Fibers()});
inline auto EveryCase(const std::vector<Implementation>& implementations,
                      const std::vector<ExecutorBinding>& bindings = {
                          ExecutorBinding::Threads(), ExecutorBinding::Fibers()}) {
  return ::testing::ValuesIn(EveryCaseOf(implementations, bindings));
}

// The test-name generator for INSTANTIATE_TEST_SUITE_P: ImplementationCase::name().
std::string CaseName(const ::testing::TestParamInfo<ImplementationCase>& info);

// `Service` is the generated FooTandem class (GreeterTandem), whose Client the body calls.
template <class Service>
class ImplementationTest : public ::testing::TestWithParam<ImplementationCase> {
 public:
  using Client = typename Service::Client;

  // The deadline call_options() sets.
  static constexpr absl::Duration kCallTimeout = absl::Seconds(20);

 protected:
  void SetUp() override {
    InProcessServer::Options options = ServerOptions();
    options.executors = GetParam().executors;
    absl::StatusOr<std::unique_ptr<InProcessServer>> server =
        InProcessServer::Start(GetParam().implementation, std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    client_ = server_->NewClient<Client>();
  }

  void TearDown() override {
    client_.reset();
    server_.reset();  // shuts the server down, then its executor; releases the instance
  }

  // What each case's server starts with. Override to add ServiceOptions or builder settings;
  // `executors` is replaced by the case's binding.
  virtual InProcessServer::Options ServerOptions() { return {}; }

  // A client of this case's server.
  Client& client() { return *client_; }
  // This case's server: its port, channel, Server (method_stats()), more clients.
  InProcessServer& server() { return *server_; }

  // CallOptions with a deadline (kCallTimeout), so that a call that hangs fails its test instead
  // of stalling the suite.
  static CallOptions call_options() { return CallOptions().set_timeout(kCallTimeout); }

 private:
  std::unique_ptr<InProcessServer> server_;
  std::shared_ptr<Client> client_;
};

}  // namespace tandem::testing

#endif  // TANDEM_TESTING_IMPLEMENTATIONS_H_
