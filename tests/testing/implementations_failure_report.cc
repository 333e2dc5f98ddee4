// Not a test on its own: a suite with a failing case, run by implementations_failure_report_test.sh
// to check how GoogleTest reports it. UpperCaseEcho answers differently from BlockingEcho, as a
// rewrite with a bug would: its two cases must fail under their own names, the others pass.
#include "gtest/gtest.h"
#include "tests/testing/echo_services.h"
#include "testing/implementations.h"

namespace tandem::testing {
namespace {

using EchoImplementations = ImplementationTest<EchoTandem>;

TEST_P(EchoImplementations, EchoesItsMessage) {
  EchoRequest request;
  request.set_message("quiet please");
  absl::StatusOr<EchoReply> reply = client().Say(request, call_options());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->message(), "quiet please");
}

INSTANTIATE_TEST_SUITE_P(Echo, EchoImplementations,
                         EveryCase({Implementation::Of<BlockingEcho>("BlockingEcho"),
                                    Implementation::Of<UpperCaseEcho>("UpperCaseEcho")}),
                         CaseName);

}  // namespace
}  // namespace tandem::testing
