#include "duo/engine/postgres/conninfo.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace duo::engine {
namespace {

// libpq's conninfo quoting: inside single quotes, ' and \ take a backslash.
void AppendConnInfoKeyword(absl::string_view key, absl::string_view value, std::string& conninfo) {
  if (!conninfo.empty()) conninfo.push_back(' ');
  absl::StrAppend(&conninfo, key, "='");
  for (const char c : value) {
    if (c == '\'' || c == '\\') conninfo.push_back('\\');
    conninfo.push_back(c);
  }
  conninfo.push_back('\'');
}

}  // namespace

std::string LibpqConnInfo(const DatabaseUrl& url) {
  std::string conninfo;
  if (!url.host.empty()) AppendConnInfoKeyword("host", url.host, conninfo);
  if (url.port.has_value()) AppendConnInfoKeyword("port", absl::StrCat(*url.port), conninfo);
  if (!url.database.empty()) AppendConnInfoKeyword("dbname", url.database, conninfo);
  if (!url.user.empty()) AppendConnInfoKeyword("user", url.user, conninfo);
  if (!url.password.empty()) AppendConnInfoKeyword("password", url.password, conninfo);
  for (const auto& [key, value] : url.options) AppendConnInfoKeyword(key, value, conninfo);
  return conninfo;
}

}  // namespace duo::engine
