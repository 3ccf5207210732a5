#include "testing/fuzz/fuzz.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"

namespace duo::fuzz {

std::vector<absl::string_view> SplitInput(absl::string_view input, char separator, size_t parts) {
  std::vector<absl::string_view> pieces;
  while (pieces.size() + 1 < parts) {
    const size_t at = input.find(separator);
    if (at == absl::string_view::npos) break;
    pieces.push_back(input.substr(0, at));
    input.remove_prefix(at + 1);
  }
  pieces.push_back(input);
  pieces.resize(parts);
  return pieces;
}

void Fail(const char* file, int line, const char* what, absl::string_view input,
          absl::string_view detail) {
  // CEscape keeps the report on one line and shows every byte, so the input
  // can be pasted into a regression test.
  std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n  input: \"%s\"\n", file, line, what,
               absl::CEscape(input).c_str());
  if (!detail.empty()) {
    std::fprintf(stderr, "  detail: %s\n", absl::CEscape(detail).c_str());
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace duo::fuzz
