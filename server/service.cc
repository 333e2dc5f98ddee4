#include "server/service.h"

namespace tandem {

absl::string_view HandlerStyleName(HandlerStyle style) {
  switch (style) {
    case HandlerStyle::kBlocking:
      return "blocking";
    case HandlerStyle::kCoroutine:
      return "coroutine";
    case HandlerStyle::kCallback:
      return "callback";
    case HandlerStyle::kNotImplemented:
      return "not implemented";
  }
  return "unknown";
}

}  // namespace tandem
