// TestServiceImpl: tandem.testing.TestService with the same behaviour in every handler style.
//
// The request's action steers each call (see proto/test_service.proto). Tests drive it through
// every method, and so through every handler style and executor, with one set of cases.
//
// Threads: handlers run where their style puts them. The test controls (Release, WaitFor*) are
// thread-safe and are called from the test's thread.
#ifndef TANDEM_TESTS_TESTING_TEST_SERVICE_IMPL_H_
#define TANDEM_TESTS_TESTING_TEST_SERVICE_IMPL_H_

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "asio/executor_work_guard.hpp"
#include "asio/io_context.hpp"
#include "executors/mutex.h"
#include "proto/test_service.tandem.h"
#include "server/handlers.h"
#include "server/stream.h"
#include "tests/testing/test_methods.h"

namespace tandem::testing {

class TestServiceImpl final : public TestServiceTandem::Service<TestServiceImpl> {
 public:
  TestServiceImpl();
  // Releases blocked handlers; the server must be shut down first.
  ~TestServiceImpl();

  grpc::Status Blocking(ServerContext& context, const TestRequest& request, TestReply* reply);
  Task<grpc::Status> Coroutine(ServerContext& context, const TestRequest& request,
                               TestReply* reply);
  void Callback(ServerContext& context, const TestRequest& request,
                UnaryResponder<TestReply> responder);
  void CallbackOnPool(ServerContext& context, const TestRequest& request,
                      UnaryResponder<TestReply> responder);
  static constexpr NotImplemented Unimplemented{};

  grpc::Status ServerStreamBlocking(ServerContext& context, const TestRequest& request,
                                    ServerWriter<TestReply> writer);
  Task<grpc::Status> ServerStreamCoroutine(ServerContext& context, const TestRequest& request,
                                           ServerWriter<TestReply> writer);
  void ServerStreamCallback(ServerContext& context, const TestRequest& request,
                            ServerWriter<TestReply> writer);

  grpc::Status ClientStreamBlocking(ServerContext& context, ServerReader<TestRequest> reader,
                                    TestReply* reply);
  Task<grpc::Status> ClientStreamCoroutine(ServerContext& context,
                                           ServerReader<TestRequest> reader, TestReply* reply);
  void ClientStreamCallback(ServerContext& context, ServerReader<TestRequest> reader,
                            TestReply* reply);

  grpc::Status BidiBlocking(ServerContext& context,
                            ServerReaderWriter<TestRequest, TestReply> stream);
  Task<grpc::Status> BidiCoroutine(ServerContext& context,
                                   ServerReaderWriter<TestRequest, TestReply> stream);
  void BidiCallback(ServerContext& context, ServerReaderWriter<TestRequest, TestReply> stream);

  // Lets every BLOCK, BLOCKING_SLEEP and SPIN handler, present and future, finish.
  void Release() ABSL_LOCKS_EXCLUDED(mu_);
  // Where NESTED_CALL and FORWARD handlers send their calls: this service's own server (TestServer connects
  // it at start).
  void ConnectNestedClient(std::shared_ptr<grpc::ChannelInterface> channel)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until `count` handlers are inside a waiting action (WAIT_FOR_CANCEL, BLOCK,
  // RENDEZVOUS, BLOCKING_SLEEP, SPIN) at once; false on timeout.
  bool WaitForHandlersWaiting(int count, absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);
  // Waits until handlers have seen `count` cancellations in all; false on timeout.
  bool WaitForCancellationsSeen(int count, absl::Duration timeout) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // The outcome of the actions every style handles the same way, or nullopt for the actions a
  // style must handle its own way.
  std::optional<grpc::Status> RunImmediateAction(ServerContext& context,
                                                 const TestRequest& request, TestReply* reply,
                                                 absl::string_view style);
  void CallbackStyle(ServerContext& context, const TestRequest& request,
                     UnaryResponder<TestReply> responder, absl::string_view style);
  void EnterWait() ABSL_LOCKS_EXCLUDED(mu_);
  // How a stream handler ends once its messages are out, per the request's action.
  static grpc::Status StreamEnd(const TestRequest& request);
  void ExitWait(bool saw_cancellation) ABSL_LOCKS_EXCLUDED(mu_);
  void NoteCancellation(bool saw_cancellation) ABSL_LOCKS_EXCLUDED(mu_);

  // The actions of the fiber and watchdog tests (see proto/test_service.proto).
  grpc::Status NestedCall(const TestRequest& request, TestReply* reply)
      ABSL_LOCKS_EXCLUDED(mu_, nested_mu_);
  void BlockingSleepUntilReleased() ABSL_LOCKS_EXCLUDED(mu_);
  void SpinUntilReleased() ABSL_LOCKS_EXCLUDED(mu_);
  bool released() ABSL_LOCKS_EXCLUDED(mu_);
  std::shared_ptr<TestClient> NestedClient() ABSL_LOCKS_EXCLUDED(mu_);

  absl::Mutex mu_;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
  int rendezvous_arrived_ ABSL_GUARDED_BY(mu_) = 0;
  int cancellations_seen_ ABSL_GUARDED_BY(mu_) = 0;
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<TestClient> nested_client_ ABSL_GUARDED_BY(mu_);

  // NESTED_CALL's rendezvous. A Tandem mutex: on a fiber pool, waiting there yields the thread.
  Mutex nested_mu_;
  CondVar nested_arrivals_;
  int nested_arrived_ ABSL_GUARDED_BY(nested_mu_) = 0;

  // Timers for callback handlers that finish later, from another thread.
  asio::io_context timers_;
  asio::executor_work_guard<asio::io_context::executor_type> timers_work_;
  std::thread timers_thread_;
};

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_TESTING_TEST_SERVICE_IMPL_H_
