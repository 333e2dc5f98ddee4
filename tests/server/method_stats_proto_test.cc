// MethodStats to and from the admin service's tandem.admin.v1.MethodStats
// (server/method_stats_proto.h): every field the method report shows survives the trip, and the
// one-way and shadow fields travel only for methods they apply to.
#include "server/method_stats_proto.h"

#include "gtest/gtest.h"

namespace tandem {
namespace {

MethodStats Plain() {
  MethodStats stats;
  stats.method = "/shop.Orders/Get";
  stats.style = HandlerStyle::kBlocking;
  stats.executor = "tandem-pool";
  stats.started = 10;
  stats.finished_ok = 8;
  stats.finished_error = 2;
  return stats;
}

TEST(MethodStatsProto, APlainMethodHasNoOneWayOrShadowPart) {
  const admin::v1::MethodStats proto = MethodStatsToProto(Plain());
  EXPECT_EQ(proto.method(), "/shop.Orders/Get");
  EXPECT_EQ(proto.style(), admin::v1::HANDLER_STYLE_BLOCKING);
  EXPECT_EQ(proto.executor(), "tandem-pool");
  EXPECT_EQ(proto.started(), 10u);
  EXPECT_EQ(proto.finished_ok(), 8u);
  EXPECT_EQ(proto.finished_error(), 2u);
  EXPECT_FALSE(proto.has_one_way());
  EXPECT_FALSE(proto.has_shadow());

  const MethodStats back = MethodStatsFromProto(proto);
  EXPECT_EQ(back.method, "/shop.Orders/Get");
  EXPECT_EQ(back.style, HandlerStyle::kBlocking);
  EXPECT_EQ(back.executor, "tandem-pool");
  EXPECT_EQ(back.started, 10u);
  EXPECT_EQ(back.finished_ok, 8u);
  EXPECT_EQ(back.finished_error, 2u);
  EXPECT_FALSE(back.one_way);
  EXPECT_FALSE(back.shadowed);
}

TEST(MethodStatsProto, OneWayAndShadowFieldsSurviveTheTrip) {
  MethodStats stats = Plain();
  stats.one_way = true;
  stats.one_way_ok = 5;
  stats.one_way_failed = 1;
  stats.shadowed = true;
  stats.shadow_style = HandlerStyle::kCoroutine;
  stats.shadow_executor = "shadow-loop";
  stats.shadow_matches = 7;
  stats.shadow_mismatches = 2;
  stats.shadow_candidate_errors = 1;
  stats.shadow_skipped = 3;
  stats.shadow_in_flight = 4;
  stats.shadow_mismatch_samples = {"message: a vs b", "status: OK vs INTERNAL"};

  const MethodStats back = MethodStatsFromProto(MethodStatsToProto(stats));
  EXPECT_TRUE(back.one_way);
  EXPECT_EQ(back.one_way_ok, 5u);
  EXPECT_EQ(back.one_way_failed, 1u);
  EXPECT_TRUE(back.shadowed);
  EXPECT_EQ(back.shadow_style, HandlerStyle::kCoroutine);
  EXPECT_EQ(back.shadow_executor, "shadow-loop");
  EXPECT_EQ(back.shadow_matches, 7u);
  EXPECT_EQ(back.shadow_mismatches, 2u);
  EXPECT_EQ(back.shadow_candidate_errors, 1u);
  EXPECT_EQ(back.shadow_skipped, 3u);
  EXPECT_EQ(back.shadow_in_flight, 4);
  EXPECT_EQ(back.shadow_mismatch_samples, stats.shadow_mismatch_samples);
}

TEST(MethodStatsProto, EveryStyleSurvivesTheTrip) {
  for (HandlerStyle style : {HandlerStyle::kBlocking, HandlerStyle::kCoroutine,
                             HandlerStyle::kCallback, HandlerStyle::kNotImplemented}) {
    MethodStats stats = Plain();
    stats.style = style;
    EXPECT_EQ(MethodStatsFromProto(MethodStatsToProto(stats)).style, style)
        << HandlerStyleName(style);
  }
}

// A newer server's style this build does not know reads as "unknown", not as another style.
TEST(MethodStatsProto, AStyleThisBuildDoesNotKnowIsUnknown) {
  admin::v1::MethodStats proto = MethodStatsToProto(Plain());
  proto.set_style(static_cast<admin::v1::HandlerStyle>(99));
  EXPECT_EQ(HandlerStyleName(MethodStatsFromProto(proto).style), "unknown");
}

}  // namespace
}  // namespace tandem
