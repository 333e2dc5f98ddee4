// Fuzzes what a client can send as requests: any bytes, as the request message(s) of any method
// of the test service (every RPC kind, every handler style), through a real in-process Tandem
// server and raw generic calls (raw_call.h).
//
// Input: the first byte picks the method; the rest is the request or, for client and
// bidirectional streaming, up to four requests separated by kSeparator.
//
// Checked for every input: the call ends before its deadline, with the status the requests
// deserve:
//   - a request that does not parse ends the call with INTERNAL, naming the method, the request
//     type and (streaming) the message's position; never UNIMPLEMENTED, never OK;
//   - requests that parse are never answered UNIMPLEMENTED or DEADLINE_EXCEEDED, unless they
//     asked for it (FAIL with that code) or the method is the NotImplemented one.
// Requests that parse but ask the test service to wait (WAIT_FOR_CANCEL, SLEEP, BLOCK, ...), for
// a long stream, or for a status code outside gRPC's range only slow the fuzzer down: they are
// rejected (-1), so libFuzzer does not keep them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "proto/test_service.pb.h"
#include "server/server.h"
#include "tests/testing/raw_call.h"
#include "tests/testing/test_service_impl.h"

namespace tandem::testing {
namespace {

constexpr absl::string_view kSeparator = "\n--\n";
constexpr size_t kMaxRequests = 4;
constexpr absl::Duration kCallTimeout = absl::Seconds(10);

enum class Kind { kUnary, kServerStreaming, kClientStreaming, kBidi };

struct MethodUnderTest {
  const char* name;
  Kind kind;
};

constexpr MethodUnderTest kMethods[] = {
    {"Blocking", Kind::kUnary},
    {"Coroutine", Kind::kUnary},
    {"Callback", Kind::kUnary},
    {"CallbackOnPool", Kind::kUnary},
    {"Unimplemented", Kind::kUnary},
    {"ServerStreamBlocking", Kind::kServerStreaming},
    {"ServerStreamCoroutine", Kind::kServerStreaming},
    {"ServerStreamCallback", Kind::kServerStreaming},
    {"ClientStreamBlocking", Kind::kClientStreaming},
    {"ClientStreamCoroutine", Kind::kClientStreaming},
    {"ClientStreamCallback", Kind::kClientStreaming},
    {"BidiBlocking", Kind::kBidi},
    {"BidiCoroutine", Kind::kBidi},
    {"BidiCallback", Kind::kBidi},
};

// The server, started once for the whole run and never stopped (libFuzzer exits the process).
struct Fixture {
  TestServiceImpl service;
  std::unique_ptr<Server> server;
  std::shared_ptr<grpc::Channel> channel;
};

Fixture& TheFixture() {
  static Fixture* const fixture = [] {
    auto* f = new Fixture;
    ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0").RegisterService(&f->service);
    absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
    if (!server.ok()) {
      std::fprintf(stderr, "request_fuzzer: server did not start: %s\n",
                   server.status().ToString().c_str());
      std::abort();
    }
    f->server = *std::move(server);
    f->channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", f->server->port()),
                                     grpc::InsecureChannelCredentials());
    return f;
  }();
  return *fixture;
}

[[noreturn]] void Fail(const std::string& what, const std::string& method,
                       const grpc::Status& status) {
  std::fprintf(stderr, "request_fuzzer: %s: %s; got %d \"%s\"\n", method.c_str(), what.c_str(),
               static_cast<int>(status.error_code()), status.error_message().c_str());
  std::abort();
}

// Whether a request that parsed is worth a call: it finishes at once and asks for nothing odd.
bool IsQuick(const TestRequest& request) {
  switch (request.action()) {
    case TestRequest::ECHO:
    case TestRequest::THROW:
    case TestRequest::DROP_REPLY:
    case TestRequest::ECHO_METADATA:
      break;
    case TestRequest::FAIL:
      if (request.code() < 0 || request.code() > 16) return false;
      break;
    case TestRequest::WAIT_FOR_CANCEL:
    case TestRequest::SLEEP:
    case TestRequest::BLOCK:
    case TestRequest::RENDEZVOUS:
    case TestRequest::NESTED_CALL:
    case TestRequest::BLOCKING_SLEEP:
    case TestRequest::SPIN:
      return false;
    default:
      break;  // An action the service does not know: answered at once.
  }
  return request.count() >= 0 && request.count() <= 16 && request.payload_bytes() >= 0 &&
         request.payload_bytes() <= 4096;
}

int FuzzOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return -1;
  const MethodUnderTest& method = kMethods[data[0] % std::size(kMethods)];
  const std::string full_name = absl::StrCat("/tandem.testing.TestService/", method.name);
  const absl::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  std::vector<std::string> requests;
  if (method.kind == Kind::kClientStreaming || method.kind == Kind::kBidi) {
    requests = absl::StrSplit(body, kSeparator);
    if (requests.size() > kMaxRequests) return -1;
  } else {
    requests.emplace_back(body);
  }

  // What the server must make of the requests: the first that does not parse, and whether the
  // others ask for a status.
  size_t first_malformed = 0;  // 1-based; 0: every request parses
  bool only_echoes_before = true;
  bool asked_unimplemented = false;
  bool asked_deadline = false;
  for (size_t i = 0; i < requests.size(); ++i) {
    TestRequest request;
    if (!request.ParseFromString(requests[i])) {
      first_malformed = i + 1;
      break;
    }
    if (!IsQuick(request)) return -1;
    if (request.action() != TestRequest::ECHO) only_echoes_before = false;
    if (request.action() == TestRequest::FAIL) {
      asked_unimplemented |= request.code() == grpc::StatusCode::UNIMPLEMENTED;
      asked_deadline |= request.code() == grpc::StatusCode::DEADLINE_EXCEEDED;
    }
  }

  const RawCallResult result = RawCall(TheFixture().channel, full_name, requests, kCallTimeout);
  const grpc::Status& status = result.status;

  if (absl::string_view(method.name) == "Unimplemented") {
    if (status.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
      Fail("a NotImplemented method must answer UNIMPLEMENTED", full_name, status);
    }
    return 0;
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED && !asked_deadline) {
    Fail("the call hung until its deadline", full_name, status);
  }
  if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED && !asked_unimplemented) {
    Fail("an existing method answered UNIMPLEMENTED", full_name, status);
  }
  // A bidirectional call that already failed on an earlier request never reads the bad one.
  const bool must_reach_malformed =
      first_malformed != 0 && (method.kind != Kind::kBidi || only_echoes_before);
  if (must_reach_malformed) {
    const std::string expected =
        (method.kind == Kind::kClientStreaming || method.kind == Kind::kBidi)
            ? absl::StrCat("request message ", first_malformed, " (")
            : std::string("the request (");
    if (status.error_code() != grpc::StatusCode::INTERNAL ||
        !absl::StrContains(status.error_message(), full_name) ||
        !absl::StrContains(status.error_message(), expected) ||
        !absl::StrContains(status.error_message(), "not a valid tandem.testing.TestRequest")) {
      Fail(absl::StrCat("a malformed request (", expected,
                        "...) must end the call with INTERNAL naming it"),
           full_name, status);
    }
  }
  return 0;
}

}  // namespace
}  // namespace tandem::testing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return tandem::testing::FuzzOneInput(data, size);
}
