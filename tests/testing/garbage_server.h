// GarbageServer: a plain gRPC server on loopback that answers every call, whatever the method,
// with one message that is not a valid encoding of any message (field 1, length-delimited, its
// length past the end) and OK: a buggy or hostile server, or a .proto out of step.
//
// Threads: construct and destroy on the test's thread; it serves on gRPC's threads meanwhile.
#ifndef TANDEM_TESTS_TESTING_GARBAGE_SERVER_H_
#define TANDEM_TESTS_TESTING_GARBAGE_SERVER_H_

#include <memory>
#include <string>

#include "grpcpp/generic/async_generic_service.h"
#include "grpcpp/server.h"

namespace tandem::testing {

class GarbageServer final : public grpc::CallbackGenericService {
 public:
  GarbageServer();
  ~GarbageServer() override;

  bool started() const { return server_ != nullptr; }
  // "127.0.0.1:PORT"
  std::string target() const;

  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override;

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace tandem::testing

#endif  // TANDEM_TESTS_TESTING_GARBAGE_SERVER_H_
