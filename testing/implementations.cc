#include "testing/implementations.h"

#include "absl/strings/str_cat.h"

namespace tandem::testing {

std::string ImplementationCase::name() const {
  return absl::StrCat(implementation.name, "_", executors.name);
}

void PrintTo(const ImplementationCase& implementation_case, std::ostream* out) {
  *out << implementation_case.implementation.name << " on "
       << (implementation_case.executors.name.empty() ? "the server's own pool"
                                                      : implementation_case.executors.name);
}

std::vector<ImplementationCase> EveryCaseOf(const std::vector<Implementation>& implementations,
                                            const std::vector<ExecutorBinding>& bindings) {
  std::vector<ImplementationCase> cases;
  cases.reserve(implementations.size() * bindings.size());
  for (const Implementation& implementation : implementations) {
    for (const ExecutorBinding& binding : bindings) {
      cases.push_back({.implementation = implementation, .executors = binding});
    }
  }
  return cases;
}

std::string CaseName(const ::testing::TestParamInfo<ImplementationCase>& info) {
  return info.param.name();
}

}  // namespace tandem::testing
