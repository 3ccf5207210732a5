// Fuzzes DatabaseUrl::Parse, the parser of the one string users put in
// configuration. Properties, for every input:
//   * Parse either succeeds or returns InvalidArgument, whose message never
//     holds the password (checked where the input has an unambiguous one);
//   * a parsed URL's ToString() masks the password (and password options):
//     it is the same whatever their values, and parses again to the same
//     fields, the password reading "***";
//   * LibpqConnInfo() quotes every value, so reading it back as libpq does
//     gives exactly the fields: no value can smuggle in another keyword.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "duo/engine/postgres/conninfo.h"
#include "duo/engine/url.h"
#include "testing/fuzz/fuzz.h"

namespace {

using duo::engine::DatabaseUrl;
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// libpq's conninfo grammar for what LibpqConnInfo writes: keyword='value'
// pairs separated by spaces, where \ escapes the next character. Returns
// false on anything else.
bool ReadConnInfo(absl::string_view text, KeyValues& out) {
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    const size_t equals = text.find('=', i);
    if (equals == absl::string_view::npos) return false;
    std::string key(text.substr(i, equals - i));
    i = equals + 1;
    if (i >= text.size() || text[i] != '\'') return false;
    ++i;
    std::string value;
    bool closed = false;
    while (i < text.size()) {
      const char c = text[i++];
      if (c == '\\') {
        if (i >= text.size()) return false;
        value.push_back(text[i++]);
      } else if (c == '\'') {
        closed = true;
        break;
      } else {
        value.push_back(c);
      }
    }
    if (!closed) return false;
    out.emplace_back(std::move(key), std::move(value));
  }
  return true;
}

KeyValues ExpectedConnInfo(const DatabaseUrl& url) {
  KeyValues expected;
  if (!url.host.empty()) expected.emplace_back("host", url.host);
  if (url.port.has_value()) expected.emplace_back("port", absl::StrCat(*url.port));
  if (!url.database.empty()) expected.emplace_back("dbname", url.database);
  if (!url.user.empty()) expected.emplace_back("user", url.user);
  if (!url.password.empty()) expected.emplace_back("password", url.password);
  for (const auto& option : url.options) expected.push_back(option);
  return expected;
}

bool IsSecretOption(absl::string_view key) { return key == "password" || key == "sslpassword"; }

// The password as the input spells it, when that is unambiguous: one "://",
// one '@' and one ':' before it, no '%' escapes, no '?' or '/' inside.
std::string PlainPassword(absl::string_view input) {
  const size_t scheme = input.find("://");
  if (scheme == absl::string_view::npos) return "";
  absl::string_view rest = input.substr(scheme + 3);
  const size_t end = rest.find_first_of("/?");
  if (end != absl::string_view::npos) rest = rest.substr(0, end);
  const size_t at = rest.find('@');
  if (at == absl::string_view::npos || rest.find('@', at + 1) != absl::string_view::npos) return "";
  const absl::string_view user_info = rest.substr(0, at);
  const size_t colon = user_info.find(':');
  if (colon == absl::string_view::npos) return "";
  const absl::string_view password = user_info.substr(colon + 1);
  // Short or wordy passwords occur in the messages' own text ("expected
  // sqlite or postgresql"), so only distinctive ones are looked for: six or
  // more letters, digits, '-' and '_', with a letter and a digit.
  const auto has = [password](auto predicate) {
    return std::any_of(password.begin(), password.end(), predicate);
  };
  if (password.size() < 6 || !has([](char c) { return absl::ascii_isdigit(c); }) ||
      !has([](char c) { return absl::ascii_isalpha(c); }) ||
      has([](char c) { return !absl::ascii_isalnum(c) && c != '-' && c != '_'; })) {
    return "";
  }
  // Text that also appears elsewhere (a host, an option) may be quoted as
  // that part.
  if (input.find(password) != input.rfind(password)) return "";
  return std::string(password);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input = duo::fuzz::AsText(data, size);
  const absl::StatusOr<DatabaseUrl> url = DatabaseUrl::Parse(input);
  if (!url.ok()) {
    DUO_FUZZ_CHECK(absl::IsInvalidArgument(url.status()), input, url.status().ToString());
    DUO_FUZZ_CHECK(absl::StartsWith(url.status().message(), "database URL: "), input,
                   url.status().ToString());
    const std::string password = PlainPassword(input);
    if (!password.empty()) {
      DUO_FUZZ_CHECK(!absl::StrContains(url.status().message(), password), input,
                     url.status().ToString());
    }
    return 0;
  }

  // ToString() masks, and parses back to the same fields.
  const std::string text = url->ToString();
  const absl::StatusOr<DatabaseUrl> again = DatabaseUrl::Parse(text);
  DUO_FUZZ_CHECK(again.ok(), input, absl::StrCat(text, " -> ", again.status().ToString()));
  DUO_FUZZ_CHECK(again->scheme == url->scheme, input, text);
  DUO_FUZZ_CHECK(again->user == url->user, input, text);
  DUO_FUZZ_CHECK(again->password == (url->password.empty() ? "" : "***"), input, text);
  DUO_FUZZ_CHECK(again->host == url->host, input, text);
  DUO_FUZZ_CHECK(again->port == url->port, input, text);
  DUO_FUZZ_CHECK(again->database == url->database, input, text);
  DUO_FUZZ_CHECK(again->options.size() == url->options.size(), input, text);
  for (size_t i = 0; i < url->options.size(); ++i) {
    const auto& [key, value] = url->options[i];
    DUO_FUZZ_CHECK(again->options[i].first == key, input, text);
    DUO_FUZZ_CHECK(again->options[i].second == (IsSecretOption(key) ? "***" : value), input, text);
  }
  // The masked text is what gets logged: it must not depend on the
  // password (or password options) at all, which a URL differing only
  // there shows exactly.
  DatabaseUrl other = *url;
  if (!other.password.empty()) other.password += "-other";
  for (auto& [key, value] : other.options) {
    if (IsSecretOption(key)) value += "-other";
  }
  DUO_FUZZ_CHECK(other.ToString() == text, input, absl::StrCat(text, " vs ", other.ToString()));
  DUO_FUZZ_CHECK(url->in_memory() == (url->scheme == "sqlite" && url->database == ":memory:"),
                 input);

  if (url->scheme == "postgresql") {
    const std::string conninfo = LibpqConnInfo(*url);
    KeyValues read;
    DUO_FUZZ_CHECK(ReadConnInfo(conninfo, read), input, conninfo);
    DUO_FUZZ_CHECK(read == ExpectedConnInfo(*url), input, conninfo);
    for (const auto& [key, value] : read) {
      // Keywords go into conninfo unquoted.
      DUO_FUZZ_CHECK(
          !key.empty() && std::all_of(key.begin(), key.end(),
                                      [](char c) { return absl::ascii_isalnum(c) || c == '_'; }),
          input, conninfo);
    }
  }
  return 0;
}
