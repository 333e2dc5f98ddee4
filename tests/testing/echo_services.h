// Implementations of the Echo service (tests/testing/echo.proto) for the tests of the
// tandem::testing library: the same method in two handler styles, and a rewrite with a bug.
//
//   BlockingEcho    blocking: runs on the server's blocking executor (the test's binding)
//   CoroutineEcho   coroutine: runs on the server's coroutine loop, whatever the binding
//   UpperCaseEcho   blocking, answers the message upper-cased: a rewrite that differs
//
// Each reply names its implementation, counts the calls this instance answered and says whether
// the handler ran on a fiber. Threads: handlers run where their style puts them; thread-safe.
// SayStats and KindOf look up what the tests check, on the test's thread.
#ifndef TANDEM_TESTS_TESTING_ECHO_SERVICES_H_
#define TANDEM_TESTS_TESTING_ECHO_SERVICES_H_

#include <atomic>
#include <string>

#include "server/handlers.h"
#include "server/server.h"
#include "testing/in_process_server.h"
#include "tests/testing/echo.tandem.h"

namespace tandem::testing {

class BlockingEcho final : public EchoTandem::Service<BlockingEcho> {
 public:
  grpc::Status Say(ServerContext& context, const EchoRequest& request, EchoReply* reply);

 private:
  std::atomic<int> calls_{0};
};

class CoroutineEcho final : public EchoTandem::Service<CoroutineEcho> {
 public:
  Task<grpc::Status> Say(ServerContext& context, const EchoRequest& request, EchoReply* reply);

 private:
  std::atomic<int> calls_{0};
};

class UpperCaseEcho final : public EchoTandem::Service<UpperCaseEcho> {
 public:
  grpc::Status Say(ServerContext& context, const EchoRequest& request, EchoReply* reply);

 private:
  std::atomic<int> calls_{0};
};

// The stats of Echo.Say on `server`, and the kind of the executor named `executor` there. A
// missing one fails the calling test (and returns a default).
MethodStats SayStats(InProcessServer& server);
ExecutorKind KindOf(InProcessServer& server, const std::string& executor);

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_TESTING_ECHO_SERVICES_H_
