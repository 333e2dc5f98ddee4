#include "server/method_stats_proto.h"

namespace tandem {
namespace {

admin::v1::HandlerStyle StyleToProto(HandlerStyle style) {
  switch (style) {
    case HandlerStyle::kBlocking:
      return admin::v1::HANDLER_STYLE_BLOCKING;
    case HandlerStyle::kCoroutine:
      return admin::v1::HANDLER_STYLE_COROUTINE;
    case HandlerStyle::kCallback:
      return admin::v1::HANDLER_STYLE_CALLBACK;
    case HandlerStyle::kNotImplemented:
      return admin::v1::HANDLER_STYLE_NOT_IMPLEMENTED;
  }
  return admin::v1::HANDLER_STYLE_UNSPECIFIED;
}

HandlerStyle StyleFromProto(int style) {
  switch (style) {
    case admin::v1::HANDLER_STYLE_BLOCKING:
      return HandlerStyle::kBlocking;
    case admin::v1::HANDLER_STYLE_COROUTINE:
      return HandlerStyle::kCoroutine;
    case admin::v1::HANDLER_STYLE_CALLBACK:
      return HandlerStyle::kCallback;
    case admin::v1::HANDLER_STYLE_NOT_IMPLEMENTED:
      return HandlerStyle::kNotImplemented;
    default:
      return static_cast<HandlerStyle>(-1);  // "unknown"
  }
}

}  // namespace

admin::v1::MethodStats MethodStatsToProto(const MethodStats& stats) {
  admin::v1::MethodStats proto;
  proto.set_method(stats.method);
  proto.set_style(StyleToProto(stats.style));
  proto.set_executor(stats.executor);
  proto.set_started(stats.started);
  proto.set_finished_ok(stats.finished_ok);
  proto.set_finished_error(stats.finished_error);
  if (stats.one_way) {
    admin::v1::OneWayStats* one_way = proto.mutable_one_way();
    one_way->set_ok(stats.one_way_ok);
    one_way->set_failed(stats.one_way_failed);
  }
  if (stats.shadowed) {
    admin::v1::ShadowStats* shadow = proto.mutable_shadow();
    shadow->set_style(StyleToProto(stats.shadow_style));
    shadow->set_executor(stats.shadow_executor);
    shadow->set_matches(stats.shadow_matches);
    shadow->set_mismatches(stats.shadow_mismatches);
    shadow->set_candidate_errors(stats.shadow_candidate_errors);
    shadow->set_skipped(stats.shadow_skipped);
    shadow->set_in_flight(stats.shadow_in_flight);
    for (const std::string& sample : stats.shadow_mismatch_samples) {
      shadow->add_mismatch_samples(sample);
    }
  }
  return proto;
}

MethodStats MethodStatsFromProto(const admin::v1::MethodStats& proto) {
  MethodStats stats;
  stats.method = proto.method();
  stats.style = StyleFromProto(proto.style());
  stats.executor = proto.executor();
  stats.started = proto.started();
  stats.finished_ok = proto.finished_ok();
  stats.finished_error = proto.finished_error();
  if (proto.has_one_way()) {
    stats.one_way = true;
    stats.one_way_ok = proto.one_way().ok();
    stats.one_way_failed = proto.one_way().failed();
  }
  if (proto.has_shadow()) {
    const admin::v1::ShadowStats& shadow = proto.shadow();
    stats.shadowed = true;
    stats.shadow_style = StyleFromProto(shadow.style());
    stats.shadow_executor = shadow.executor();
    stats.shadow_matches = shadow.matches();
    stats.shadow_mismatches = shadow.mismatches();
    stats.shadow_candidate_errors = shadow.candidate_errors();
    stats.shadow_skipped = shadow.skipped();
    stats.shadow_in_flight = shadow.in_flight();
    stats.shadow_mismatch_samples.assign(shadow.mismatch_samples().begin(),
                                         shadow.mismatch_samples().end());
  }
  return stats;
}

}  // namespace tandem
