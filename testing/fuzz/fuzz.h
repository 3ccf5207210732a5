// What a DuoORM fuzz target is made of.
//
// A target defines libFuzzer's entry point and checks properties of the code
// under test with DUO_FUZZ_CHECK, which prints the offending input (escaped)
// and aborts, so that both drivers report it as a crash with the input:
//
//   extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
//     const absl::string_view input = duo::fuzz::AsText(data, size);
//     absl::StatusOr<Thing> thing = Thing::Parse(input);
//     DUO_FUZZ_CHECK(thing.ok() || absl::IsInvalidArgument(thing.status()), input);
//     return 0;
//   }
//
// Targets are declared with duo_fuzz_test (//bazel:fuzz.bzl): under the
// normal build they link the deterministic driver (driver.cc) and run as a
// regular test; `tools/fuzz.sh` builds them with clang and real libFuzzer.

#ifndef DUO_TESTING_FUZZ_FUZZ_H_
#define DUO_TESTING_FUZZ_FUZZ_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace duo::fuzz {

inline absl::string_view AsText(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

// Splits the input at the first occurrence of `separator` into at most
// `parts` pieces, so that one input can carry several strings (a path and a
// value). Missing pieces are empty.
std::vector<absl::string_view> SplitInput(absl::string_view input, char separator, size_t parts);

// Prints `what` failed for `input` and aborts. Never returns.
[[noreturn]] void Fail(const char* file, int line, const char* what, absl::string_view input,
                       absl::string_view detail);

}  // namespace duo::fuzz

// Checks a property; on failure prints the input and `detail`, then aborts.
#define DUO_FUZZ_CHECK(condition, input, ...)                    \
  do {                                                           \
    if (!(condition)) {                                          \
      ::duo::fuzz::Fail(__FILE__, __LINE__, #condition, (input), \
                        ::duo::fuzz::Detail(__VA_ARGS__));       \
    }                                                            \
  } while (false)

namespace duo::fuzz {
inline std::string Detail() { return std::string(); }
inline std::string Detail(absl::string_view detail) { return std::string(detail); }
}  // namespace duo::fuzz

#endif  // DUO_TESTING_FUZZ_FUZZ_H_
