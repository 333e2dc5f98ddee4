// Fuzzes the stream core: a streaming call driven through a fuzzed sequence of operations (client
// writes, reads at any pace, half-close, cancel, server-side finish by FAIL or THROW, a short
// deadline), on both ends of Tandem's streams (the generated client's ClientReader /
// ClientReaderWriter against the test service's ServerStream* and Bidi* methods, in every
// handler style), with write queues kept small so that writers park.
//
// Input: byte 0 picks the method and whether the call gets a short deadline; for server
// streaming, bytes 1-3 are the request (count, payload size, how it ends); every further byte is
// one operation.
//
// Checked for every input, the stream's invariants:
//   - one status per call, before its deadline (unless the input asked for a short one);
//   - messages arrive in order, none lost, none duplicated, none after the server finished;
//   - a call that was not cancelled and had no short deadline ends with the status its requests
//     asked for, after every message was read;
//   - no call's write queue ever held more than its StreamLimits allow (one message larger than
//     the byte limit goes alone).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "client/call_options.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "proto/test_service.tandem.h"
#include "server/server.h"
#include "tests/testing/test_service_impl.h"

namespace tandem::testing {
namespace {

constexpr StreamLimits kLimits{.max_queued_messages = 4, .max_queued_bytes = 4096};
constexpr absl::Duration kCallTimeout = absl::Seconds(10);
constexpr int kMaxPayload = 8000;

struct Fixture {
  TestServiceImpl service;
  std::unique_ptr<Server> server;
  std::unique_ptr<TestServiceTandem::Client> client;
};

Fixture& TheFixture() {
  static Fixture* const fixture = [] {
    auto* f = new Fixture;
    ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0").SetStreamLimits(kLimits).RegisterService(&f->service);
    absl::StatusOr<std::unique_ptr<Server>> server = builder.BuildAndStart();
    if (!server.ok()) {
      std::fprintf(stderr, "stream_fuzzer: server did not start: %s\n",
                   server.status().ToString().c_str());
      std::abort();
    }
    f->server = *std::move(server);
    f->client = std::make_unique<TestServiceTandem::Client>(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", f->server->port()), grpc::InsecureChannelCredentials()));
    return f;
  }();
  return *fixture;
}

[[noreturn]] void Fail(const std::string& what) {
  std::fprintf(stderr, "stream_fuzzer: %s\n", what.c_str());
  std::abort();
}

// Reads input bytes one at a time; 0 once they run out.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return next_ == size_; }
  uint8_t Next() { return empty() ? 0 : data_[next_++]; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t next_ = 0;
};

CallOptions OptionsFor(bool short_deadline, uint8_t millis) {
  return CallOptions().set_timeout(short_deadline ? absl::Milliseconds(1 + millis % 50)
                                                  : kCallTimeout);
}

// The status a call ends with when the input lets it run to its end.
void CheckEnd(const absl::Status& status, absl::StatusCode expected, bool cut_short,
              const std::string& where) {
  if (!cut_short && status.code() == absl::StatusCode::kDeadlineExceeded &&
      expected != absl::StatusCode::kDeadlineExceeded) {
    Fail(absl::StrCat(where, ": the call hung until its deadline: ", status.ToString()));
  }
  if (!cut_short && status.code() != expected) {
    Fail(absl::StrCat(where, ": ended with ", status.ToString(), ", expected code ",
                      absl::StatusCodeToString(expected)));
  }
}

void FuzzServerStreaming(const char* method, Bytes& in, bool short_deadline) {
  TestServiceTandem::Client& client = *TheFixture().client;
  TestRequest request;
  request.set_message("s");
  request.set_count(in.Next() % 49);
  request.set_payload_bytes(std::min<int>(in.Next() * 32, kMaxPayload));
  const uint8_t end = in.Next();
  request.set_action(end % 3 == 0 ? TestRequest::ECHO
                     : end % 3 == 1 ? TestRequest::FAIL
                                    : TestRequest::THROW);
  request.set_code(1 + end % 16);
  const CallOptions options = OptionsFor(short_deadline, in.Next());

  auto start = [&] {
    const std::string name(method);
    if (name == "ServerStreamBlocking") return client.ServerStreamBlocking(request, options);
    if (name == "ServerStreamCoroutine") return client.ServerStreamCoroutine(request, options);
    return client.ServerStreamCallback(request, options);
  };
  ClientReader<TestReply> reader = start();
  int read = 0;
  bool cancelled = false;
  TestReply reply;
  auto read_one = [&] {
    if (!reader.Read(&reply)) return false;
    if (reply.message() != absl::StrCat("s-", read)) {
      Fail(absl::StrCat(method, ": message ", read, " arrived as \"", reply.message(), "\""));
    }
    if (++read > request.count()) Fail(absl::StrCat(method, ": more messages than written"));
    return true;
  };
  while (!in.empty()) {
    const uint8_t op = in.Next() % 8;
    if (op == 7) {
      reader.Cancel();
      cancelled = true;
      break;
    }
    if (!read_one()) break;
  }
  while (read_one()) {
  }
  const absl::Status status = reader.Finish();
  const bool cut_short = cancelled || short_deadline;
  if (!cut_short && read != request.count()) {
    Fail(absl::StrCat(method, ": read ", read, " of ", request.count(), " messages"));
  }
  const absl::StatusCode expected =
      request.action() == TestRequest::ECHO   ? absl::StatusCode::kOk
      : request.action() == TestRequest::FAIL ? static_cast<absl::StatusCode>(request.code())
                                              : absl::StatusCode::kInternal;
  CheckEnd(status, expected, cut_short, method);
}

void FuzzBidi(const char* method, Bytes& in, bool short_deadline) {
  TestServiceTandem::Client& client = *TheFixture().client;
  const CallOptions options = OptionsFor(short_deadline, in.Next());
  auto start = [&] {
    const std::string name(method);
    if (name == "BidiBlocking") return client.BidiBlocking(options);
    if (name == "BidiCoroutine") return client.BidiCoroutine(options);
    return client.BidiCallback(options);
  };
  ClientReaderWriter<TestRequest, TestReply> stream = start();
  int echoes_asked = 0;  // ECHO requests written before any FAIL or THROW
  int echoes_read = 0;
  bool half_closed = false;
  bool cancelled = false;
  bool write_failed = false;
  absl::StatusCode expected = absl::StatusCode::kOk;
  bool ended_by_request = false;
  TestReply reply;
  auto read_one = [&] {
    if (!stream.Read(&reply)) return false;
    if (reply.message() != absl::StrCat("b", echoes_read, "-0")) {
      Fail(absl::StrCat(method, ": echo ", echoes_read, " arrived as \"", reply.message(), "\""));
    }
    if (++echoes_read > echoes_asked) {
      Fail(absl::StrCat(method, ": an echo that was not asked for, or came after the end"));
    }
    return true;
  };
  auto write = [&](const TestRequest& request) {
    if (half_closed || write_failed) return false;
    if (!stream.Write(request)) write_failed = true;
    return !write_failed;
  };
  while (!in.empty() && !cancelled) {
    const uint8_t op = in.Next();
    switch (op % 8) {
      case 0:
      case 1: {
        if (ended_by_request) break;
        // A client that never reads stalls the server's writes, then its reads, then its own
        // writes (flow control): keep the echoes owed within one server queue.
        if (echoes_asked - echoes_read >= static_cast<int>(kLimits.max_queued_messages)) {
          read_one();
        }
        TestRequest echo;
        echo.set_message(absl::StrCat("b", echoes_asked));
        echo.set_payload_bytes(std::min<int>(in.Next() * 32, kMaxPayload));
        if (write(echo)) ++echoes_asked;
        break;
      }
      case 2:
      case 3:
        // Read only what is owed: a read with nothing owed waits for the deadline.
        if (echoes_read < echoes_asked) read_one();
        break;
      case 4:
      case 5: {
        if (ended_by_request) break;
        TestRequest end;
        end.set_action(op % 2 == 0 ? TestRequest::FAIL : TestRequest::THROW);
        end.set_code(1 + in.Next() % 16);
        if (write(end)) {
          ended_by_request = true;
          expected = end.action() == TestRequest::FAIL ? static_cast<absl::StatusCode>(end.code())
                                                       : absl::StatusCode::kInternal;
        }
        break;
      }
      case 6:
        if (!half_closed) stream.WritesDone();
        half_closed = true;
        break;
      case 7:
        stream.Cancel();
        cancelled = true;
        break;
    }
  }
  if (!half_closed) stream.WritesDone();
  while (read_one()) {
  }
  const absl::Status status = stream.Finish();
  const bool cut_short = cancelled || short_deadline;
  // A failed write means the server had already ended the call: only by a FAIL or THROW asked.
  if (write_failed && !ended_by_request && !cut_short) {
    Fail(absl::StrCat(method, ": a write failed on a call nobody ended: ", status.ToString()));
  }
  // Every echo asked before the end goes out before the status (the reply shim's promise).
  if (!cut_short && echoes_read != echoes_asked) {
    Fail(absl::StrCat(method, ": read ", echoes_read, " of ", echoes_asked, " echoes"));
  }
  CheckEnd(status, expected, cut_short, method);
}

void CheckQueueLimits() {
  // The largest message: a payload of kMaxPayload bytes plus its short message and framing.
  const size_t allowed = std::max<size_t>(kLimits.max_queued_bytes, kMaxPayload + 64);
  for (const MethodStats& stats : TheFixture().server->method_stats()) {
    if (stats.max_queued_bytes > allowed) {
      Fail(absl::StrCat(stats.method, ": a write queue held ", stats.max_queued_bytes,
                        " bytes, over the limit of ", kLimits.max_queued_bytes));
    }
  }
}

int FuzzOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return -1;
  Bytes in(data, size);
  static constexpr const char* kMethods[] = {
      "ServerStreamBlocking", "ServerStreamCoroutine", "ServerStreamCallback",
      "BidiBlocking",         "BidiCoroutine",         "BidiCallback",
  };
  const uint8_t first = in.Next();
  const size_t method = first % std::size(kMethods);
  const bool short_deadline = (first / std::size(kMethods)) % 8 == 0;
  if (method < 3) {
    FuzzServerStreaming(kMethods[method], in, short_deadline);
  } else {
    FuzzBidi(kMethods[method], in, short_deadline);
  }
  CheckQueueLimits();
  return 0;
}

}  // namespace
}  // namespace tandem::testing

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return tandem::testing::FuzzOneInput(data, size);
}
