#include "duo/engine/url.h"

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "duo/base/status_macros.h"
#include "duo/engine/url_scheme.h"

namespace duo::engine {
namespace {

using Form = UrlScheme::Form;
using Options = std::vector<std::pair<std::string, std::string>>;

// Characters each part may hold unencoded (RFC 3986), besides letters and
// digits. Everything else is percent-encoded by ToString().
constexpr absl::string_view kUserSafe = "-._~!$&'()*+,;=";
// No ',' (a raw one would read as a libpq host list) and no ':' (the port).
constexpr absl::string_view kHostSafe = "-._~!$&'()*+;=";
constexpr absl::string_view kBracketedHostSafe = "-._~!$&'()*+;=:";
constexpr absl::string_view kPathSafe = "-._~!$&'()*+,;=:@/";
// No '&' and '=', which separate options; no '+', which form decoders
// would read as a space.
constexpr absl::string_view kQuerySafe = "-._~!$'()*,;:@/?";

constexpr absl::string_view kMasked = "***";

// Every message starts alike, so that a URL error is recognizable wherever
// it ends up.
template <typename... Parts>
absl::Status UrlError(const Parts&... parts) {
  return absl::InvalidArgumentError(absl::StrCat("database URL: ", parts...));
}

// Quotes URL text for an error message. Never called with the password or
// an option value, so that errors are safe to log.
std::string Quoted(absl::string_view text) { return absl::StrCat("\"", absl::CEscape(text), "\""); }

// A control character is never meant: usually it is the trailing newline of
// a file or a command substitution, which would otherwise end up in a
// database name or path.
absl::Status CheckNoControlCharacters(absl::string_view url) {
  for (size_t i = 0; i < url.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(url[i]);
    if (c < 0x20 || c == 0x7f) return UrlError("control character at offset ", i);
  }
  return absl::OkStatus();
}

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
bool IsSchemeName(absl::string_view text) {
  return !text.empty() && absl::ascii_isalpha(text[0]) &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return absl::ascii_isalnum(c) || c == '+' || c == '-' || c == '.';
         });
}

// "a, b or c".
std::string Alternatives(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
    text += names[i];
  }
  return text;
}

struct SchemeSplit {
  const UrlScheme* scheme;
  absl::string_view rest;  // after "://"
};

absl::StatusOr<SchemeSplit> SplitScheme(absl::string_view url) {
  const size_t separator = url.find("://");
  if (separator == absl::string_view::npos) {
    std::vector<std::string> examples;
    for (const std::string& name : RegisteredUrlSchemes()) {
      const UrlScheme* scheme = FindUrlScheme(name);
      examples.push_back(absl::StrCat(name, scheme->form == Form::kFile ? ":///path" : "://..."));
    }
    return UrlError("no scheme (expected ", Alternatives(examples), ")");
  }
  const absl::string_view name = url.substr(0, separator);
  const absl::string_view rest = url.substr(separator + 3);
  if (const UrlScheme* scheme = FindUrlScheme(name); scheme != nullptr) {
    return SchemeSplit{scheme, rest};
  }
  const std::vector<std::string> known = RegisteredUrlSchemes();
  // Text before "://" that is no scheme name may hold a password of a URL
  // missing its scheme: do not echo it.
  if (!IsSchemeName(name)) return UrlError("malformed scheme (expected ", Alternatives(known), ")");
  return UrlError("unknown scheme ", Quoted(name), " (expected ", Alternatives(known), ")");
}

// Splits at the first '?'; later ones belong to the query.
std::pair<absl::string_view, absl::string_view> SplitQuery(absl::string_view text) {
  const size_t question = text.find('?');
  if (question == absl::string_view::npos) return {text, absl::string_view()};
  return {text.substr(0, question), text.substr(question + 1)};
}

int HexDigitValue(char c) {
  return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
}

// `part` names what is decoded for the error message; it quotes the raw text
// only when that is no secret.
absl::StatusOr<std::string> PercentDecode(absl::string_view raw, absl::string_view part) {
  std::string decoded;
  decoded.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      decoded.push_back(raw[i]);
      continue;
    }
    if (i + 2 >= raw.size() || !absl::ascii_isxdigit(raw[i + 1]) ||
        !absl::ascii_isxdigit(raw[i + 2])) {
      return UrlError("malformed percent-escape in ", part);
    }
    const char c = static_cast<char>(HexDigitValue(raw[i + 1]) * 16 + HexDigitValue(raw[i + 2]));
    // libpq refuses it as well: C APIs would cut the value short there.
    if (c == '\0') return UrlError("%00 in ", part);
    decoded.push_back(c);
    i += 2;
  }
  return decoded;
}

std::string PercentEncode(absl::string_view text, absl::string_view safe) {
  constexpr absl::string_view kHexDigits = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(text.size());
  for (const char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (absl::ascii_isalnum(byte) || safe.find(c) != absl::string_view::npos) {
      encoded.push_back(c);
    } else {
      encoded.push_back('%');
      encoded.push_back(kHexDigits[byte >> 4]);
      encoded.push_back(kHexDigits[byte & 0xf]);
    }
  }
  return encoded;
}

absl::StatusOr<int> ParsePort(absl::string_view text) {
  if (text.empty()) return UrlError("empty port");
  // Only digits are echoed: text in the port's place that is no number is
  // most often the rest of a password whose '/' or '?' was not encoded.
  if (!std::all_of(text.begin(), text.end(), [](char c) { return absl::ascii_isdigit(c); })) {
    return UrlError("invalid port (not a number; is a '/' or '?' in the password not encoded?)");
  }
  int port = 0;
  if (!absl::SimpleAtoi(text, &port) || port < 1 || port > 65535) {
    return UrlError("invalid port ", Quoted(text));
  }
  return port;
}

bool IsSecretOption(absl::string_view key) { return key == "password" || key == "sslpassword"; }

absl::StatusOr<Options> ParseOptions(absl::string_view query) {
  Options options;
  if (query.empty()) return options;
  for (const absl::string_view item : absl::StrSplit(query, '&')) {
    const size_t equals = item.find('=');
    const absl::string_view raw_key = item.substr(0, equals);
    if (raw_key.empty()) return UrlError("empty option name");
    if (equals == absl::string_view::npos) {
      return UrlError("option ", Quoted(raw_key), " has no value (expected name=value)");
    }
    DUO_ASSIGN_OR_RETURN(std::string key,
                         PercentDecode(raw_key, absl::StrCat("option name ", Quoted(raw_key))));
    DUO_ASSIGN_OR_RETURN(
        std::string value,
        PercentDecode(item.substr(equals + 1), absl::StrCat("the value of option ", Quoted(key))));
    if (std::any_of(options.begin(), options.end(),
                    [&](const auto& option) { return option.first == key; })) {
      return UrlError("option ", Quoted(key), " given twice");
    }
    options.emplace_back(std::move(key), std::move(value));
  }
  return options;
}

// ---- Files ---------------------------------------------------------------------

absl::Status ParseFile(const UrlScheme& scheme, absl::string_view rest, DatabaseUrl& url) {
  // Strict about the third slash: "sqlite://" or "sqlite://app.db" is more
  // likely a typo than a request for an in-memory or host-relative database.
  const std::string& name = url.scheme;
  const std::string expected = absl::StrCat(
      " (expected ", name, ":///relative.db", scheme.memory_database.empty() ? " or " : ", ", name,
      ":////absolute.db",
      scheme.memory_database.empty() ? ""
                                     : absl::StrCat(" or ", name, ":///", scheme.memory_database),
      ")");
  if (!absl::ConsumePrefix(&rest, "/")) return UrlError("missing ", name, " path", expected);
  const auto [raw_path, query] = SplitQuery(rest);
  if (raw_path.empty()) return UrlError("empty ", name, " path", expected);
  DUO_ASSIGN_OR_RETURN(url.database,
                       PercentDecode(raw_path, absl::StrCat("path ", Quoted(raw_path))));
  DUO_ASSIGN_OR_RETURN(url.options, ParseOptions(query));
  return absl::OkStatus();
}

std::string FileUrlWithoutQuery(const DatabaseUrl& url) {
  // An absolute path brings the fourth slash.
  return absl::StrCat(url.scheme, ":///", PercentEncode(url.database, kPathSafe));
}

// ---- Servers -------------------------------------------------------------------

absl::Status ParseUserInfo(absl::string_view user_info, DatabaseUrl& url) {
  const size_t colon = user_info.find(':');
  const absl::string_view raw_user = user_info.substr(0, colon);
  DUO_ASSIGN_OR_RETURN(url.user, PercentDecode(raw_user, absl::StrCat("user ", Quoted(raw_user))));
  if (colon == absl::string_view::npos) return absl::OkStatus();
  DUO_ASSIGN_OR_RETURN(url.password, PercentDecode(user_info.substr(colon + 1), "the password"));
  return absl::OkStatus();
}

struct HostPort {
  absl::string_view host;
  std::optional<absl::string_view> port;
};

absl::StatusOr<HostPort> SplitHostPort(absl::string_view host_port) {
  if (host_port.find(',') != absl::string_view::npos) {
    return UrlError("several hosts ", Quoted(host_port), " are not supported");
  }
  HostPort split;
  absl::string_view after_host;
  if (absl::ConsumePrefix(&host_port, "[")) {
    const size_t close = host_port.find(']');
    if (close == absl::string_view::npos) return UrlError("missing ']' after IPv6 host");
    split.host = host_port.substr(0, close);
    after_host = host_port.substr(close + 1);
    if (!after_host.empty() && after_host[0] != ':') {
      return UrlError("unexpected ", Quoted(after_host), " after IPv6 host");
    }
  } else {
    const size_t colon = host_port.find(':');
    split.host = host_port.substr(0, colon);
    if (colon != absl::string_view::npos) after_host = host_port.substr(colon);
  }
  if (absl::ConsumePrefix(&after_host, ":")) split.port = after_host;
  return split;
}

absl::Status ParseHostPort(absl::string_view host_port, DatabaseUrl& url) {
  DUO_ASSIGN_OR_RETURN(const HostPort split, SplitHostPort(host_port));
  DUO_ASSIGN_OR_RETURN(url.host,
                       PercentDecode(split.host, absl::StrCat("host ", Quoted(split.host))));
  if (split.port.has_value()) {
    DUO_ASSIGN_OR_RETURN(url.port, ParsePort(*split.port));
  }
  return absl::OkStatus();
}

// The user information ends at the last '@', so that a raw '@' in the
// password still parses; a host cannot contain one.
absl::Status ParseAuthority(absl::string_view authority, DatabaseUrl& url) {
  const size_t at = authority.rfind('@');
  if (at == absl::string_view::npos) return ParseHostPort(authority, url);
  DUO_RETURN_IF_ERROR(ParseUserInfo(authority.substr(0, at), url));
  return ParseHostPort(authority.substr(at + 1), url);
}

// Option names that a driver passes on as bare keywords (libpq's conninfo),
// which it cannot quote.
absl::Status CheckKeywords(const Options& options, absl::string_view what) {
  for (const auto& option : options) {
    const std::string& key = option.first;
    if (!std::all_of(key.begin(), key.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; })) {
      return UrlError("invalid option name ", Quoted(key), " (", what,
                      " are letters, digits and '_')");
    }
  }
  return absl::OkStatus();
}

// libpq lets a query parameter override the part of the URL it names. Moving
// those into the fields keeps one place to look (and to mask ?password=).
absl::Status FoldConnectionOptions(DatabaseUrl& url) {
  Options rest;
  for (auto& [key, value] : url.options) {
    if (key == "host") {
      url.host = std::move(value);
    } else if (key == "port") {
      DUO_ASSIGN_OR_RETURN(url.port, ParsePort(value));
    } else if (key == "user") {
      url.user = std::move(value);
    } else if (key == "password") {
      url.password = std::move(value);
    } else if (key == "dbname") {
      url.database = std::move(value);
    } else {
      rest.emplace_back(std::move(key), std::move(value));
    }
  }
  url.options = std::move(rest);
  return absl::OkStatus();
}

absl::Status ParseServer(const UrlScheme& scheme, absl::string_view rest, DatabaseUrl& url) {
  const auto [before_query, query] = SplitQuery(rest);
  const size_t slash = before_query.find('/');
  DUO_RETURN_IF_ERROR(ParseAuthority(before_query.substr(0, slash), url));
  if (slash != absl::string_view::npos) {
    const absl::string_view raw_database = before_query.substr(slash + 1);
    DUO_ASSIGN_OR_RETURN(
        url.database,
        PercentDecode(raw_database, absl::StrCat("database name ", Quoted(raw_database))));
  }
  DUO_ASSIGN_OR_RETURN(url.options, ParseOptions(query));
  if (!scheme.keyword_options.empty()) {
    DUO_RETURN_IF_ERROR(CheckKeywords(url.options, scheme.keyword_options));
  }
  if (scheme.options_override_parts) DUO_RETURN_IF_ERROR(FoldConnectionOptions(url));
  return absl::OkStatus();
}

std::string HostForUrl(absl::string_view host) {
  // Only brackets let a host hold a ':', which is how IPv6 addresses are
  // written.
  if (host.find(':') != absl::string_view::npos) {
    return absl::StrCat("[", PercentEncode(host, kBracketedHostSafe), "]");
  }
  return PercentEncode(host, kHostSafe);
}

std::string ServerUrlWithoutQuery(const DatabaseUrl& url) {
  std::string text = absl::StrCat(url.scheme, "://");
  if (!url.user.empty() || !url.password.empty()) {
    absl::StrAppend(&text, PercentEncode(url.user, kUserSafe));
    if (!url.password.empty()) absl::StrAppend(&text, ":", kMasked);
    text.push_back('@');
  }
  absl::StrAppend(&text, HostForUrl(url.host));
  if (url.port.has_value()) absl::StrAppend(&text, ":", *url.port);
  if (!url.database.empty()) absl::StrAppend(&text, "/", PercentEncode(url.database, kPathSafe));
  return text;
}

}  // namespace

std::optional<std::string> DatabaseUrl::Option(absl::string_view key) const {
  for (const auto& [name, value] : options) {
    if (name == key) return value;
  }
  return std::nullopt;
}

absl::StatusOr<DatabaseUrl> DatabaseUrl::Parse(absl::string_view url) {
  DUO_RETURN_IF_ERROR(CheckNoControlCharacters(url));
  DUO_ASSIGN_OR_RETURN(const SchemeSplit split, SplitScheme(url));
  DatabaseUrl parsed{.scheme = split.scheme->names.front()};
  switch (split.scheme->form) {
    case Form::kFile:
      DUO_RETURN_IF_ERROR(ParseFile(*split.scheme, split.rest, parsed));
      break;
    case Form::kServer:
      DUO_RETURN_IF_ERROR(ParseServer(*split.scheme, split.rest, parsed));
      break;
  }
  return parsed;
}

absl::StatusOr<DatabaseUrl> DatabaseUrl::FromEnvironment() {
  const char* url = std::getenv("DUO_DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    return absl::NotFoundError("DUO_DATABASE_URL is unset or empty");
  }
  return Parse(url);
}

std::string DatabaseUrl::ToString() const {
  // A URL whose scheme is not registered (built by hand) prints as a
  // server's would.
  const UrlScheme* registered = FindUrlScheme(scheme);
  std::string text = registered != nullptr && registered->form == Form::kFile
                         ? FileUrlWithoutQuery(*this)
                         : ServerUrlWithoutQuery(*this);
  std::vector<std::string> items;
  for (const auto& [key, value] : options) {
    items.push_back(absl::StrCat(
        PercentEncode(key, kQuerySafe), "=",
        IsSecretOption(key) ? std::string(kMasked) : PercentEncode(value, kQuerySafe)));
  }
  if (!items.empty()) absl::StrAppend(&text, "?", absl::StrJoin(items, "&"));
  return text;
}

bool DatabaseUrl::in_memory() const {
  const UrlScheme* registered = FindUrlScheme(scheme);
  return registered != nullptr && !registered->memory_database.empty() &&
         database == registered->memory_database;
}

}  // namespace duo::engine
