// A deterministic stand-in for libFuzzer's main(), so that every fuzz target
// also runs as an ordinary test under the normal (GCC) build.
//
//   <target> [--iterations=N] [--seed=S] [--dict=FILE] CORPUS_DIR_OR_FILE...
//
// It runs LLVMFuzzerTestOneInput on every seed file, then on N inputs made
// by stacking a few random mutations (bit flips, byte inserts and deletes,
// dictionary tokens, splices of two seeds) on a seed, from a fixed random
// seed: the same binary always tries the same inputs, so a failure
// reproduces. It has no coverage feedback (that is what tools/fuzz.sh and
// real libFuzzer are for); the point is a bounded, repeatable smoke of the
// properties on every test run. $DUO_FUZZ_ITERATIONS overrides N.

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

// Inputs grow by insertions; beyond this they only shrink, which keeps every
// iteration cheap.
constexpr size_t kMaxInputSize = 4096;
// Bytes that are structure in the texts DuoORM parses.
constexpr absl::string_view kInterestingBytes = "'\"\\%:./?@&=;-+$()[]*#,_ \t\n\r\x00\x7f\xff";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void AddInputs(const std::filesystem::path& path, std::vector<std::string>& inputs) {
  if (std::filesystem::is_directory(path)) {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.is_regular_file()) files.push_back(entry.path());
    }
    // Directory order is not stable; the run must be.
    std::sort(files.begin(), files.end());
    for (const auto& file : files) inputs.push_back(ReadFile(file));
  } else if (std::filesystem::is_regular_file(path)) {
    inputs.push_back(ReadFile(path));
  } else {
    std::fprintf(stderr, "fuzz driver: no such corpus %s\n", path.c_str());
    std::exit(2);
  }
}

// libFuzzer's dictionary format: one "token" per line, optionally name=,
// with \\, \" and \xAB escapes; # starts a comment.
std::vector<std::string> ReadDictionary(const std::string& path) {
  std::vector<std::string> tokens;
  std::istringstream lines(ReadFile(path));
  std::string line;
  while (std::getline(lines, line)) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#') continue;
    const size_t open = text.find('"');
    if (open == absl::string_view::npos || text.back() != '"' || text.size() - open < 2) continue;
    std::string token;
    if (absl::CUnescape(text.substr(open + 1, text.size() - open - 2), &token)) {
      tokens.push_back(std::move(token));
    }
  }
  return tokens;
}

class Mutator {
 public:
  Mutator(uint64_t seed, const std::vector<std::string>& seeds,
          const std::vector<std::string>& dictionary)
      : random_(seed), seeds_(seeds), dictionary_(dictionary) {}

  std::string Next() {
    std::string input = seeds_[Below(seeds_.size())];
    const size_t mutations = 1 + Below(5);
    for (size_t i = 0; i < mutations; ++i) Mutate(input);
    if (input.size() > kMaxInputSize) input.resize(kMaxInputSize);
    return input;
  }

 private:
  size_t Below(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(random_);
  }

  void Mutate(std::string& input) {
    const size_t at = Below(input.size() + 1);
    switch (Below(9)) {
      case 0:  // flip a bit
        if (!input.empty()) input[Below(input.size())] ^= static_cast<char>(1 << Below(8));
        break;
      case 1:  // any byte
        input.insert(at, 1, static_cast<char>(Below(256)));
        break;
      case 2:  // a byte that means something to a parser
        input.insert(at, 1, kInterestingBytes[Below(kInterestingBytes.size())]);
        break;
      case 3:  // replace a byte with a meaningful one
        if (!input.empty())
          input[Below(input.size())] = kInterestingBytes[Below(kInterestingBytes.size())];
        break;
      case 4:  // delete a range
        if (!input.empty()) input.erase(Below(input.size()), 1 + Below(8));
        break;
      case 5: {  // duplicate a range
        if (input.empty()) break;
        const size_t from = Below(input.size());
        const std::string piece = input.substr(from, 1 + Below(16));
        input.insert(at, piece);
        break;
      }
      case 6:
      case 7:  // a dictionary token, the likeliest way to reach new structure
        if (!dictionary_.empty()) input.insert(at, dictionary_[Below(dictionary_.size())]);
        break;
      case 8: {  // splice: this input's head, another seed's tail
        const std::string& other = seeds_[Below(seeds_.size())];
        input = input.substr(0, at) + other.substr(Below(other.size() + 1));
        break;
      }
    }
  }

  std::mt19937_64 random_;
  const std::vector<std::string>& seeds_;
  const std::vector<std::string>& dictionary_;
};

void Run(const std::string& input) {
  // A copy in its own allocation, so that ASan catches a read past the end.
  std::vector<uint8_t> bytes(input.begin(), input.end());
  LLVMFuzzerTestOneInput(bytes.data(), bytes.size());
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  int64_t iterations = 20000;
  uint64_t seed = 20261201;
  std::vector<std::string> seeds;
  std::vector<std::string> dictionary;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--iterations=")) {
      if (!absl::SimpleAtoi(arg, &iterations)) return 2;
    } else if (absl::ConsumePrefix(&arg, "--seed=")) {
      if (!absl::SimpleAtoi(arg, &seed)) return 2;
    } else if (absl::ConsumePrefix(&arg, "--dict=")) {
      dictionary = ReadDictionary(std::string(arg));
    } else {
      AddInputs(std::filesystem::path(std::string(arg)), seeds);
    }
  }
  if (const char* env = std::getenv("DUO_FUZZ_ITERATIONS"); env != nullptr && *env != '\0') {
    if (!absl::SimpleAtoi(env, &iterations)) return 2;
  }
  if (seeds.empty()) {
    std::fprintf(stderr, "fuzz driver: no seed inputs\n");
    return 2;
  }

  const auto start = std::chrono::steady_clock::now();
  for (const std::string& input : seeds) Run(input);
  Run(std::string());
  Mutator mutator(seed, seeds, dictionary);
  for (int64_t i = 0; i < iterations; ++i) Run(mutator.Next());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t total = static_cast<int64_t>(seeds.size()) + 1 + iterations;
  std::printf(
      "fuzz driver: %lld inputs (%zu seeds, %lld mutations, %zu dictionary tokens) in %.2f s"
      ", %.0f inputs/s\n",
      static_cast<long long>(total), seeds.size(), static_cast<long long>(iterations),
      dictionary.size(), seconds, seconds > 0 ? total / seconds : 0.0);
  return 0;
}
