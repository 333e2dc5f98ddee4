// FormatMethodReport (server/method_report.h): the table of a server's methods, checked cell for
// cell. The one-way and shadow columns are fed MethodStats made by hand, as a server with
// one-way and shadowed methods fills them.
#include "server/method_report.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tandem {
namespace {

MethodStats Method(std::string name, HandlerStyle style, std::string executor, uint64_t ok,
                   uint64_t errors) {
  MethodStats stats;
  stats.method = std::move(name);
  stats.style = style;
  stats.executor = std::move(executor);
  stats.started = ok + errors;
  stats.finished_ok = ok;
  stats.finished_error = errors;
  return stats;
}

MethodStats OneWay(MethodStats stats, uint64_t handled_ok, uint64_t handled_failed) {
  stats.one_way = true;
  stats.one_way_ok = handled_ok;
  stats.one_way_failed = handled_failed;
  return stats;
}

MethodStats Shadowed(MethodStats stats, HandlerStyle style, std::string executor,
                     uint64_t matches, uint64_t mismatches, uint64_t errors, uint64_t skipped) {
  stats.shadowed = true;
  stats.shadow_style = style;
  stats.shadow_executor = std::move(executor);
  stats.shadow_matches = matches;
  stats.shadow_mismatches = mismatches;
  stats.shadow_candidate_errors = errors;
  stats.shadow_skipped = skipped;
  return stats;
}

TEST(MethodReport, OneHeaderRowAndOneAlignedRowPerMethodInTheOrderGiven) {
  const std::vector<MethodStats> methods = {
      Method("/tandem.examples.Greeter/SayHello", HandlerStyle::kBlocking, "tandem-pool", 2, 1),
      Method("/tandem.examples.Greeter/Shout", HandlerStyle::kCallback, "inline", 2, 0),
      Method("/tandem.examples.Greeter/Greet", HandlerStyle::kCoroutine, "tandem-loop", 1, 0),
  };
  EXPECT_EQ(FormatMethodReport(methods),
            "method                             style      executor     started  ok  errors\n"
            "/tandem.examples.Greeter/SayHello  blocking   tandem-pool        3   2       1\n"
            "/tandem.examples.Greeter/Shout     callback   inline             2   2       0\n"
            "/tandem.examples.Greeter/Greet     coroutine  tandem-loop        1   1       0\n");
}

TEST(MethodReport, NoMethodsIsTheHeaderAlone) {
  EXPECT_EQ(FormatMethodReport({}), "method  style  executor  started  ok  errors\n");
}

TEST(MethodReport, LargeCountsWidenTheirColumnsAndStayRightAligned) {
  const std::vector<MethodStats> methods = {
      Method("/a.B/Busy", HandlerStyle::kBlocking, "pool", 18446744073709551615u - 7, 7),
      Method("/a.B/Idle", HandlerStyle::kBlocking, "pool", 0, 0),
  };
  EXPECT_EQ(FormatMethodReport(methods),
            "method     style     executor               started                    ok  errors\n"
            "/a.B/Busy  blocking  pool      18446744073709551615  18446744073709551608       7\n"
            "/a.B/Idle  blocking  pool                         0                     0       0\n");
}

TEST(MethodReport, AMethodNotImplementedRunsNowhere) {
  const std::vector<MethodStats> methods = {
      Method("/a.B/Later", HandlerStyle::kNotImplemented, "", 0, 4),
  };
  EXPECT_EQ(FormatMethodReport(methods),
            "method      style            executor  started  ok  errors\n"
            "/a.B/Later  not implemented  -               4   0       4\n");
}

TEST(MethodReport, OneWayColumnsShowHowHandlersEndedAndDashForOtherMethods) {
  const std::vector<MethodStats> methods = {
      Method("/shop.Orders/Get", HandlerStyle::kBlocking, "tandem-pool", 7, 0),
      OneWay(Method("/shop.Orders/Notify", HandlerStyle::kCallback, "inline", 5, 0), 4, 1),
  };
  EXPECT_EQ(FormatMethodReport(methods),
            "                                                                 one-way\n"
            "method               style     executor     started  ok  errors  ok  failed\n"
            "/shop.Orders/Get     blocking  tandem-pool        7   7       0   -       -\n"
            "/shop.Orders/Notify  callback  inline             5   5       0   4       1\n");
}

TEST(MethodReport, ShadowColumnsShowTheCandidateAndHowItsAnswersCompared) {
  const std::vector<MethodStats> methods = {
      Shadowed(Method("/shop.Orders/Get", HandlerStyle::kBlocking, "tandem-pool", 99, 1),
               HandlerStyle::kCoroutine, "shadow-loop", 97, 2, 1, 0),
      Method("/shop.Orders/List", HandlerStyle::kBlocking, "tandem-pool", 4, 0),
  };
  EXPECT_EQ(
      FormatMethodReport(methods),
      "                                                               shadow\n"
      "method             style     executor     started  ok  errors  style      executor     "
      "matches  mismatches  errors  skipped\n"
      "/shop.Orders/Get   blocking  tandem-pool      100  99       1  coroutine  shadow-loop  "
      "     97           2       1        0\n"
      "/shop.Orders/List  blocking  tandem-pool        4   4       0  -          -            "
      "      -           -       -        -\n");
}

TEST(MethodReport, OneWayAndShadowGroupsSideBySide) {
  const std::vector<MethodStats> methods = {
      Shadowed(Method("/shop.Orders/Get", HandlerStyle::kBlocking, "tandem-pool", 10, 0),
               HandlerStyle::kCallback, "inline", 8, 1, 0, 1),
      OneWay(Method("/shop.Orders/Notify", HandlerStyle::kCoroutine, "tandem-loop", 3, 0), 2, 1),
  };
  EXPECT_EQ(FormatMethodReport(methods),
            "                                                                  one-way     shadow\n"
            "method               style      executor     started  ok  errors  ok  failed  "
            "style     executor  matches  mismatches  errors  skipped\n"
            "/shop.Orders/Get     blocking   tandem-pool       10  10       0   -       -  "
            "callback  inline          8           1       0        1\n"
            "/shop.Orders/Notify  coroutine  tandem-loop        3   3       0   2       1  "
            "-         -               -           -       -        -\n");
}

TEST(MethodReport, KeptMismatchesFollowTheTableOnePerLine) {
  MethodStats get = Shadowed(Method("/a.B/Get", HandlerStyle::kBlocking, "pool", 3, 0),
                             HandlerStyle::kCoroutine, "loop", 0, 3, 0, 0);
  get.shadow_mismatch_samples = {"message: \"Hello, Ada!\" vs \"Hello Ada\"",
                                 "status: OK vs NOT_FOUND\ncandidate: no such name"};
  const std::vector<MethodStats> methods = {get};
  EXPECT_EQ(FormatMethodReport(methods),
            "                                                   shadow\n"
            "method    style     executor  started  ok  errors  style      executor  matches  "
            "mismatches  errors  skipped\n"
            "/a.B/Get  blocking  pool            3   3       0  coroutine  loop            0  "
            "         3       0        0\n"
            "\n"
            "mismatches of /a.B/Get (the first 2 of 3):\n"
            "  message: \"Hello, Ada!\" vs \"Hello Ada\"\n"
            "  status: OK vs NOT_FOUND\n"
            "    candidate: no such name\n");
}

}  // namespace
}  // namespace tandem
