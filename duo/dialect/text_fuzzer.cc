// Fuzzes the IR's parsers of caller text: sql::Text's :name parameters,
// the LIKE escaping behind Contains/StartsWith/EndsWith, and
// sql::Decimal::Parse. The first byte picks which; the rest is the text
// (for Text: the SQL, '\n', then a parameter name to bind).
//
// Properties:
//   * Text: compiling fails only with InvalidArgument; on success every
//     placeholder carries the bound value, the value is never in the SQL,
//     and the SQL is the text with each ":name" replaced by a placeholder
//     and nothing else changed (a text without parameters is unchanged);
//   * Text: nothing inside a string ('...', E'...', $$...$$, $tag$...$tag$),
//     a quoted identifier or a comment is a parameter: any text so hidden,
//     then " :name", compiles to the hidden text unchanged plus one
//     placeholder;
//   * LIKE: the bound pattern reads back as the literal text (no wildcard
//     of the caller's survives escaping), plus the '%' the operation asks
//     for, and the SQL holds a placeholder, never the text;
//   * Decimal: Parse accepts exactly [+-]digits[.digits], keeps the digits
//     as written (without '+'), and parses its own digits to the same value.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "duo/dialect/compiler.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/sql/select.h"
#include "duo/sql/table.h"
#include "duo/sql/text.h"
#include "duo/sql/value.h"
#include "testing/fuzz/fuzz.h"

namespace {

namespace sql = duo::sql;
using duo::dialect::CompiledStatement;

constexpr absl::string_view kMarker = "duo-fuzz-bound-value";

void FuzzText(absl::string_view input, absl::string_view text, absl::string_view name) {
  sql::Text fragment(text);
  if (!name.empty()) fragment = fragment.Bind(name, sql::Value(std::string(kMarker)));
  // As a whole statement, through both dialects.
  const sql::Statement statement = fragment;
  for (const duo::dialect::Dialect* dialect :
       {&duo::dialect::SqliteDialect(), &duo::dialect::PostgresDialect()}) {
    const absl::StatusOr<CompiledStatement> compiled = dialect->Compile(statement);
    if (!compiled.ok()) {
      DUO_FUZZ_CHECK(absl::IsInvalidArgument(compiled.status()), input,
                     compiled.status().ToString());
      continue;
    }
    const size_t bound = compiled->params.size();
    for (const sql::Value& param : compiled->params) {
      DUO_FUZZ_CHECK(param.kind() == sql::Value::Kind::kText && param.as_text() == kMarker, input,
                     compiled->sql);
    }
    if (!absl::StrContains(text, kMarker)) {
      DUO_FUZZ_CHECK(!absl::StrContains(compiled->sql, kMarker), input, compiled->sql);
    }
    DUO_FUZZ_CHECK(bound == 0 || !name.empty(), input, compiled->sql);
    if (dialect == &duo::dialect::SqliteDialect()) {
      // Only the k occurrences of ":name" changed, each into "?".
      const size_t question_marks_in = std::count(text.begin(), text.end(), '?');
      const size_t question_marks_out = std::count(compiled->sql.begin(), compiled->sql.end(), '?');
      DUO_FUZZ_CHECK(question_marks_out == question_marks_in + bound, input, compiled->sql);
      DUO_FUZZ_CHECK(compiled->sql.size() + bound * name.size() == text.size(), input,
                     compiled->sql);
      if (bound == 0) DUO_FUZZ_CHECK(compiled->sql == text, input, compiled->sql);
    }
  }
}

// `text` made opaque by one of the ways SQL hides text from the parameter
// scanner: a string ('...', E'...', $$...$$, $tag$...$tag$), a quoted
// identifier or a comment. Each quotes `text` the way the database reads it
// back unchanged.
std::string Opaque(uint8_t how, absl::string_view text) {
  switch (how % 6) {
    case 0:
      return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "''"}}), "'");
    case 1:
      return absl::StrCat("E'", absl::StrReplaceAll(text, {{"\\", "\\\\"}, {"'", "\\'"}}), "'");
    case 2:
      return absl::StrCat("\"", absl::StrReplaceAll(text, {{"\"", "\"\""}}), "\"");
    case 3: {
      // A tag whose first occurrence after the opening one is the closing
      // one ("$$" unless the text holds "$$" or ends in '$').
      std::string tag = "$$";
      for (int n = 0; absl::StrCat(text, tag).find(tag) != text.size(); ++n) {
        tag = absl::StrCat("$q", n, "$");
      }
      return absl::StrCat(tag, text, tag);
    }
    case 4: {
      // A line comment ends at \n or \r, a block comment at an unmatched */.
      std::string line(text);
      std::replace(line.begin(), line.end(), '\r', ' ');
      std::replace(line.begin(), line.end(), '\n', ' ');
      return absl::StrCat("--", line, "\n");
    }
    default:
      return absl::StrCat("/*", absl::StrReplaceAll(text, {{"*", " "}, {"/", " "}}), "*/");
  }
}

// Property: nothing inside a literal, quoted identifier or comment is a
// parameter. `text` hidden by Opaque and followed by " :name" compiles to
// exactly the hidden text unchanged and one placeholder.
void FuzzOpaque(absl::string_view input, uint8_t how, absl::string_view text,
                absl::string_view name_input) {
  std::string name;
  for (const char c : name_input) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_') name.push_back(c);
  }
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) {
    name.insert(0, "p");
  }
  const std::string hidden = Opaque(how, text);
  const sql::Statement statement =
      sql::Text(absl::StrCat(hidden, " :", name)).Bind(name, sql::Value(std::string(kMarker)));
  for (const duo::dialect::Dialect* dialect :
       {&duo::dialect::SqliteDialect(), &duo::dialect::PostgresDialect()}) {
    const absl::StatusOr<CompiledStatement> compiled = dialect->Compile(statement);
    DUO_FUZZ_CHECK(compiled.ok(), input, compiled.status().ToString());
    const std::string placeholder = dialect == &duo::dialect::SqliteDialect() ? "?" : "$1";
    DUO_FUZZ_CHECK(compiled->sql == absl::StrCat(hidden, " ", placeholder), input, compiled->sql);
    DUO_FUZZ_CHECK(compiled->params.size() == 1, input, compiled->sql);
  }
}

// Reads a LIKE pattern escaped with '\' back to the text it matches
// literally; false when it holds an unescaped wildcard.
bool UnescapeLike(absl::string_view pattern, std::string& literal) {
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      if (++i == pattern.size()) return false;
      literal.push_back(pattern[i]);
    } else if (c == '%' || c == '_') {
      return false;
    } else {
      literal.push_back(c);
    }
  }
  return true;
}

void FuzzLike(absl::string_view input, uint8_t how, absl::string_view text) {
  sql::Table table("t");
  const sql::TypedExpr<std::string> column = table.Col<std::string>("name");
  sql::Expr condition;
  const int kind = how % 6;
  const bool case_insensitive = kind % 2 == 1;
  const bool before = kind < 2 || kind >= 4;
  const bool after = kind < 4;
  if (kind < 2) {
    condition = case_insensitive ? column.IContains(text) : column.Contains(text);
  } else if (kind < 4) {
    condition = case_insensitive ? column.IStartsWith(text) : column.StartsWith(text);
  } else {
    condition = case_insensitive ? column.IEndsWith(text) : column.EndsWith(text);
  }
  const sql::Statement statement = sql::Select({table.C("id")}).From(table).Where(condition);
  for (const duo::dialect::Dialect* dialect :
       {&duo::dialect::SqliteDialect(), &duo::dialect::PostgresDialect()}) {
    const absl::StatusOr<CompiledStatement> compiled = dialect->Compile(statement);
    DUO_FUZZ_CHECK(compiled.ok(), input, compiled.status().ToString());
    DUO_FUZZ_CHECK(compiled->params.size() == 1, input, compiled->sql);
    DUO_FUZZ_CHECK(compiled->params[0].kind() == sql::Value::Kind::kText, input, compiled->sql);
    absl::string_view pattern = compiled->params[0].as_text();
    // The operation's own '%' are the first and last characters; an escaped
    // '%' of the text ends in "\%", which UnescapeLike reads.
    if (before) {
      const bool leading = absl::ConsumePrefix(&pattern, "%");
      DUO_FUZZ_CHECK(leading, input, pattern);
    }
    if (after) {
      const bool trailing = absl::ConsumeSuffix(&pattern, "%");
      DUO_FUZZ_CHECK(trailing, input, pattern);
    }
    std::string literal;
    DUO_FUZZ_CHECK(UnescapeLike(pattern, literal), input, pattern);
    DUO_FUZZ_CHECK(literal == text, input, pattern);
    // The statement's SQL is fixed whatever the text.
    DUO_FUZZ_CHECK(absl::StrContains(compiled->sql, "ESCAPE '\\'"), input, compiled->sql);
    DUO_FUZZ_CHECK(std::count(compiled->sql.begin(), compiled->sql.end(), '\'') == 2, input,
                   compiled->sql);
  }
}

bool LooksDecimal(absl::string_view text) {
  if (!absl::ConsumePrefix(&text, "+")) absl::ConsumePrefix(&text, "-");
  const size_t dot = text.find('.');
  const absl::string_view integer = text.substr(0, dot);
  const auto digits = [](absl::string_view part) {
    return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
      return absl::ascii_isdigit(static_cast<unsigned char>(c));
    });
  };
  if (!digits(integer)) return false;
  return dot == absl::string_view::npos || digits(text.substr(dot + 1));
}

void FuzzDecimal(absl::string_view input, absl::string_view text) {
  const absl::StatusOr<sql::Decimal> decimal = sql::Decimal::Parse(text);
  DUO_FUZZ_CHECK(decimal.ok() == LooksDecimal(text), input, decimal.status().ToString());
  if (!decimal.ok()) {
    DUO_FUZZ_CHECK(absl::IsInvalidArgument(decimal.status()), input);
    return;
  }
  DUO_FUZZ_CHECK(decimal->digits() == (absl::StartsWith(text, "+") ? text.substr(1) : text), input,
                 decimal->digits());
  const absl::StatusOr<sql::Decimal> again = sql::Decimal::Parse(decimal->digits());
  DUO_FUZZ_CHECK(again.ok() && *again == *decimal, input, decimal->digits());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input = duo::fuzz::AsText(data, size);
  if (input.empty()) return 0;
  const uint8_t selector = static_cast<uint8_t>(input[0]);
  const absl::string_view rest = input.substr(1);
  switch (selector % 3) {
    case 0: {
      const std::vector<absl::string_view> parts = duo::fuzz::SplitInput(rest, '\n', 2);
      FuzzText(input, parts[0], parts[1]);
      FuzzOpaque(input, selector / 3, parts[0], parts[1]);
      break;
    }
    case 1:
      FuzzLike(input, selector / 3, rest);
      break;
    case 2:
      FuzzDecimal(input, rest);
      break;
  }
  return 0;
}
