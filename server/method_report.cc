#include "server/method_report.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace tandem {
namespace {

constexpr absl::string_view kGap = "  ";
constexpr absl::string_view kNotApplicable = "-";

enum class Align { kLeft, kRight };

struct Column {
  std::string header;
  Align align;
  std::vector<std::string> cells;  // one per method
  size_t width = 0;
};

// A labelled run of columns, [first, end), named in the row above the header.
struct Group {
  std::string label;
  size_t first;
  size_t end;
};

std::string Pad(absl::string_view text, size_t width, Align align) {
  const std::string padding(width > text.size() ? width - text.size() : 0, ' ');
  return align == Align::kLeft ? absl::StrCat(text, padding) : absl::StrCat(padding, text);
}

void AppendLine(std::string& out, std::string line) {
  line.erase(line.find_last_not_of(' ') + 1);
  absl::StrAppend(&out, line, "\n");
}

}  // namespace

std::string FormatMethodReport(const std::vector<MethodStats>& methods) {
  std::vector<Column> columns;
  auto add = [&](std::string header, Align align,
                 const std::function<std::string(const MethodStats&)>& cell) {
    Column column{std::move(header), align, {}};
    for (const MethodStats& method : methods) column.cells.push_back(cell(method));
    columns.push_back(std::move(column));
  };
  // A count, or "-" where the column's group does not apply to the method.
  auto count_if = [](bool applies, uint64_t count) {
    return applies ? absl::StrCat(count) : std::string(kNotApplicable);
  };

  add("method", Align::kLeft, [](const MethodStats& m) { return m.method; });
  add("style", Align::kLeft,
      [](const MethodStats& m) { return std::string(HandlerStyleName(m.style)); });
  add("executor", Align::kLeft, [](const MethodStats& m) {
    return m.executor.empty() ? std::string(kNotApplicable) : m.executor;
  });
  add("started", Align::kRight, [](const MethodStats& m) { return absl::StrCat(m.started); });
  add("ok", Align::kRight, [](const MethodStats& m) { return absl::StrCat(m.finished_ok); });
  add("errors", Align::kRight,
      [](const MethodStats& m) { return absl::StrCat(m.finished_error); });

  std::vector<Group> groups;
  if (std::any_of(methods.begin(), methods.end(), [](const auto& m) { return m.one_way; })) {
    const size_t first = columns.size();
    add("ok", Align::kRight, [&](const MethodStats& m) { return count_if(m.one_way, m.one_way_ok); });
    add("failed", Align::kRight,
        [&](const MethodStats& m) { return count_if(m.one_way, m.one_way_failed); });
    groups.push_back({"one-way", first, columns.size()});
  }
  if (std::any_of(methods.begin(), methods.end(), [](const auto& m) { return m.shadowed; })) {
    const size_t first = columns.size();
    add("style", Align::kLeft, [](const MethodStats& m) {
      return m.shadowed ? std::string(HandlerStyleName(m.shadow_style))
                        : std::string(kNotApplicable);
    });
    add("executor", Align::kLeft, [](const MethodStats& m) {
      return m.shadowed && !m.shadow_executor.empty() ? m.shadow_executor
                                                      : std::string(kNotApplicable);
    });
    add("matches", Align::kRight,
        [&](const MethodStats& m) { return count_if(m.shadowed, m.shadow_matches); });
    add("mismatches", Align::kRight,
        [&](const MethodStats& m) { return count_if(m.shadowed, m.shadow_mismatches); });
    add("errors", Align::kRight,
        [&](const MethodStats& m) { return count_if(m.shadowed, m.shadow_candidate_errors); });
    add("skipped", Align::kRight,
        [&](const MethodStats& m) { return count_if(m.shadowed, m.shadow_skipped); });
    groups.push_back({"shadow", first, columns.size()});
  }

  // A group's label is never wider than its columns' headers ("one-way" over "ok  failed").
  for (Column& column : columns) {
    column.width = column.header.size();
    for (const std::string& cell : column.cells) column.width = std::max(column.width, cell.size());
  }
  std::string out;
  if (!groups.empty()) {
    std::string line;
    size_t c = 0;
    for (const Group& group : groups) {
      for (; c < group.first; ++c) line.append(columns[c].width + kGap.size(), ' ');
      size_t width = 0;
      for (; c < group.end; ++c) width += columns[c].width + kGap.size();
      absl::StrAppend(&line, Pad(group.label, width, Align::kLeft));
    }
    AppendLine(out, std::move(line));
  }
  auto append_row = [&](const std::function<absl::string_view(const Column&)>& cell) {
    std::string line;
    for (const Column& column : columns) {
      absl::StrAppend(&line, Pad(cell(column), column.width, column.align), kGap);
    }
    AppendLine(out, std::move(line));
  };
  append_row([](const Column& column) -> absl::string_view { return column.header; });
  for (size_t row = 0; row < methods.size(); ++row) {
    append_row([row](const Column& column) -> absl::string_view { return column.cells[row]; });
  }

  for (const MethodStats& method : methods) {
    if (!method.shadowed || method.shadow_mismatch_samples.empty()) continue;
    absl::StrAppend(&out, "\nmismatches of ", method.method, " (the first ",
                    method.shadow_mismatch_samples.size(), " of ", method.shadow_mismatches,
                    "):\n");
    for (const std::string& sample : method.shadow_mismatch_samples) {
      absl::StrAppend(&out, "  ", absl::StrReplaceAll(sample, {{"\n", "\n    "}}), "\n");
    }
  }
  return out;
}

}  // namespace tandem
