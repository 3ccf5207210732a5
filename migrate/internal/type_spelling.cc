#include "migrate/internal/type_spelling.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace duo::migrate_internal {
namespace {

// "name(12, 2)" → {"name", {12, 2}}.
std::pair<std::string, std::vector<int>> SplitTypeArguments(absl::string_view spelling) {
  size_t open = spelling.find('(');
  if (open == absl::string_view::npos || spelling.back() != ')') {
    return {std::string(absl::StripAsciiWhitespace(spelling)), {}};
  }
  std::vector<int> arguments;
  for (absl::string_view part :
       absl::StrSplit(spelling.substr(open + 1, spelling.size() - open - 2), ',')) {
    int value = 0;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(part), &value)) return {"", {}};
    arguments.push_back(value);
  }
  return {std::string(absl::StripAsciiWhitespace(spelling.substr(0, open))), arguments};
}

}  // namespace

sql::SqlType ParseTypeSpelling(
    absl::string_view spelling,
    absl::FunctionRef<std::optional<sql::SqlType::Kind>(absl::string_view name)> scalar) {
  spelling = absl::StripAsciiWhitespace(spelling);
  auto [name, arguments] = SplitTypeArguments(spelling);
  const std::string lower = absl::AsciiStrToLower(name);
  if (arguments.size() == 1 && (lower == "character varying" || lower == "varchar")) {
    return sql::SqlType::Varchar(arguments[0]);
  }
  if (arguments.size() == 2 && (lower == "numeric" || lower == "decimal_text")) {
    return sql::SqlType::Numeric(arguments[0], arguments[1]);
  }
  if (arguments.empty()) {
    std::optional<sql::SqlType::Kind> kind = scalar(name);
    if (kind.has_value()) return sql::SqlType{*kind};
  }
  if (spelling.empty()) return sql::SqlType{};
  return sql::SqlType::Custom(std::string(spelling));
}

}  // namespace duo::migrate_internal
