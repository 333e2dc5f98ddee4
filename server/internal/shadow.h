// Shadow: a shadowed method's candidate (ServiceOptions::Shadow), and how its answers compared
// with the primary's.
//
// A shadow call is a step of the unary call path's finish stage. The primary's reply shim
// (UnaryCall::PostFinish), once the call's status is decided:
//   1. asks Prepare whether to shadow the call: the share, and a free place under
//      max_in_flight. If so, Prepare makes the candidate's detached call, copying the client's
//      metadata while gRPC's context is still there;
//   2. hands the primary's status to gRPC, so the client's reply goes out first;
//   3. Starts the candidate: the primary's request and response move into it (the primary needs
//      neither any more), and it is handed off to the candidate's executor.
// The candidate's completion compares its status and response with the primary's.
//
// Threads: Prepare and Start run on the thread that finishes the primary call, the comparison on
// the thread that finishes the candidate's; none blocks (atomic counters; a mutex only around
// the first few mismatch samples).
// Lifetime: owned by the primary's MethodBinding. The server waits for every detached call
// before destroying bindings, so a candidate's completion never outlives its Shadow.
#ifndef TANDEM_SERVER_INTERNAL_SHADOW_H_
#define TANDEM_SERVER_INTERNAL_SHADOW_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/support/status.h"
#include "server/internal/detached_call.h"
#include "server/internal/method_binding.h"
#include "server/server_context.h"
#include "server/service.h"

namespace tandem::server_internal {

class Shadow {
 public:
  // `candidate` is the candidate's own binding (its executor, style, counters), `method` how
  // to run its handler detached; `ignored_fields` from ResolveIgnoredFields.
  Shadow(std::unique_ptr<MethodBinding> candidate,
         std::shared_ptr<const DetachedUnaryMethod> method, ShadowOptions options,
         std::vector<const google::protobuf::FieldDescriptor*> ignored_fields,
         DetachedCallRegistry& registry);

  // ShadowOptions::ignored_fields, as paths from `response_type` ("meta.request_id"), resolved
  // to their fields. The error names the first path that is not a field.
  static absl::StatusOr<std::vector<const google::protobuf::FieldDescriptor*>>
  ResolveIgnoredFields(const google::protobuf::Descriptor* response_type,
                       const std::vector<std::string>& paths);

  // Step 1 (see the top of this file), before the primary's `status` goes to gRPC: the shadow
  // call, holding `status`, or null if the call is not shadowed. Never blocks.
  DetachedCall* Prepare(const ServerContext& primary, const grpc::Status& status);
  // Step 3: moves the primary's `request` and `response` into the shadow `call` and starts it.
  // Never blocks.
  void Start(DetachedCall* call, google::protobuf::Message& request,
             google::protobuf::Message& response);

  // The shadow_* fields of the primary's stats.
  void FillStats(MethodStats& stats) const;

 private:
  // The candidate's completion: compares it with the primary's answer, counts, and logs and
  // keeps the first few mismatches.
  void Compare(DetachedCall& call, const grpc::Status& status) ABSL_LOCKS_EXCLUDED(samples_mu_);
  // Whether the candidate's answer is the expected one: the same status code and message, and
  // when OK, responses equal but for the ignored fields.
  bool Matches(const grpc::Status& status, const google::protobuf::Message& response,
               const grpc::Status& expected_status,
               const google::protobuf::Message& expected) const;
  // How an answer that does not match differs: the statuses, or the paths of the fields.
  std::string Difference(const grpc::Status& status, const google::protobuf::Message& response,
                         const grpc::Status& expected_status,
                         const google::protobuf::Message& expected) const;
  // Makes `differencer` leave out the ignored fields.
  void IgnoreFields(google::protobuf::util::MessageDifferencer& differencer) const;

  const std::unique_ptr<MethodBinding> candidate_;
  const std::shared_ptr<const DetachedUnaryMethod> method_;
  const ShadowOptions options_;
  const std::vector<const google::protobuf::FieldDescriptor*> ignored_fields_;
  DetachedCallRegistry& registry_;

  std::atomic<uint64_t> seen_{0};  // calls offered, for the share
  std::atomic<int> in_flight_{0};
  std::atomic<uint64_t> matches_{0};
  std::atomic<uint64_t> mismatches_{0};
  std::atomic<uint64_t> candidate_errors_{0};
  std::atomic<uint64_t> skipped_{0};

  mutable absl::Mutex samples_mu_;
  std::vector<std::string> samples_ ABSL_GUARDED_BY(samples_mu_);
};

}  // namespace tandem::server_internal

#endif  // TANDEM_SERVER_INTERNAL_SHADOW_H_
