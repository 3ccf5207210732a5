// Fuzzes the query builder's string forms, the part of its API most likely
// to carry text from outside the program (an HTTP "?sort=" or "?filter."):
// FilterBy paths and their values, OrderBy keys and Related paths, on the
// shop models (testdata/shop.h).
//
// The input is an operation byte, then the path, then '\n' and a value.
// Properties:
//   * the builder accepts exactly the paths that name relationships and
//     columns of the models (checked against an independent walk of the
//     metadata) and refuses every other with InvalidArgument;
//   * an accepted query compiles on both dialects, and its SQL holds nothing
//     but SQL keywords, punctuation, placeholders and quoted identifiers
//     that the models declare: the fuzzed text, and the value in
//     particular, can only travel as a bound parameter.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "duo/dialect/compiler.h"
#include "duo/dialect/postgres/dialect.h"
#include "duo/dialect/sqlite/dialect.h"
#include "duo/model/meta.h"
#include "duo/query/query.h"
#include "duo/query/testdata/shop.h"
#include "duo/sql/select.h"
#include "testing/fuzz/fuzz.h"

namespace {

enum class Op { kFilterBy, kOrderBy, kRelated };

// What the builder should decide, walked independently of it.
bool ExpectAccepted(const duo::ModelMeta& root, Op op, absl::string_view path) {
  if (op == Op::kOrderBy && !path.empty() && (path[0] == '-' || path[0] == '+')) {
    path.remove_prefix(1);
  }
  const std::vector<std::string> segments = absl::StrSplit(path, '.');
  const duo::ModelMeta* meta = &root;
  const size_t relations = op == Op::kRelated ? segments.size() : segments.size() - 1;
  for (size_t i = 0; i < relations; ++i) {
    const duo::RelationMeta* relation = meta->FindRelation(segments[i]);
    if (relation == nullptr) return false;
    // Ordering needs one value per row.
    if (op == Op::kOrderBy && relation->to_many()) return false;
    meta = &relation->target();
  }
  if (op == Op::kRelated) return true;
  return meta->FindColumn(segments.back()) != nullptr;
}

// Every name a statement about the shop may quote: tables, columns, and the
// aliases of joined paths ("duo_customer", "duo_customer__region").
const absl::flat_hash_set<std::string>& KnownNames() {
  static const auto* const kNames = [] {
    auto* names = new absl::flat_hash_set<std::string>();
    for (const duo::ModelMeta* meta : shop::AllModels()) {
      names->insert(meta->table().name());
      for (const duo::ColumnMeta& column : meta->columns()) names->insert(column.name);
      for (const duo::RelationMeta& relation : meta->relations()) {
        if (!relation.through_table.empty()) names->insert(relation.through_table);
      }
    }
    return names;
  }();
  return *kNames;
}

bool IsRelationName(absl::string_view name) {
  for (const duo::ModelMeta* meta : shop::AllModels()) {
    if (meta->FindRelation(name) != nullptr) return true;
  }
  return false;
}

bool IsKnownIdentifier(absl::string_view name) {
  if (KnownNames().contains(name)) return true;
  if (!absl::ConsumePrefix(&name, "duo_")) return false;
  // Relationship subqueries alias their tables duo_rel_<path>, and a
  // many-to-many's association table duo_rel_<path>_link; joins duo_<path>.
  if (absl::ConsumePrefix(&name, "rel_")) absl::ConsumeSuffix(&name, "_link");
  for (absl::string_view relation : absl::StrSplit(name, "__")) {
    if (!IsRelationName(relation)) return false;
  }
  return true;
}

const absl::flat_hash_set<absl::string_view>& Keywords() {
  static const auto* const kKeywords = new absl::flat_hash_set<absl::string_view>{
      "SELECT", "FROM",  "WHERE", "AND",      "OR",    "NOT",   "EXISTS", "IS",   "NULL",  "ORDER",
      "BY",     "ASC",   "DESC",  "LEFT",     "OUTER", "JOIN",  "ON",     "AS",   "LIMIT", "OFFSET",
      "NULLS",  "FIRST", "LAST",  "DISTINCT", "IN",    "count", "COUNT",  "INNER"};
  return *kKeywords;
}

// Returns what in `sql` is neither structure nor a declared identifier, or
// an empty string when there is nothing.
std::string Stray(absl::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '"') {
      std::string name;
      ++i;
      while (true) {
        if (i >= sql.size()) return "unterminated identifier";
        if (sql[i] == '"') {
          if (i + 1 < sql.size() && sql[i + 1] == '"') {
            name.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        name.push_back(sql[i++]);
      }
      if (!IsKnownIdentifier(name)) return absl::StrCat("identifier \"", name, "\"");
    } else if (absl::ascii_isalpha(c) || c == '_') {
      const size_t start = i;
      while (i < sql.size() && (absl::ascii_isalnum(sql[i]) || sql[i] == '_')) ++i;
      const absl::string_view word = sql.substr(start, i - start);
      if (!Keywords().contains(word)) return absl::StrCat("word ", word);
    } else if (c == '$' || c == '?' || absl::ascii_isdigit(c)) {
      // Placeholders ($1, ?1) and the 1 of SELECT 1.
      ++i;
      while (i < sql.size() && absl::ascii_isdigit(sql[i])) ++i;
    } else if (absl::StrContains(" (),.=*<>", c)) {
      ++i;
    } else {
      return absl::StrCat("character '", std::string(1, c), "'");
    }
  }
  return "";
}

void CheckCompiles(const duo::sql::Select& select, absl::string_view input, absl::string_view value,
                   bool has_value) {
  for (const duo::dialect::Dialect* dialect :
       {&duo::dialect::SqliteDialect(), &duo::dialect::PostgresDialect()}) {
    absl::StatusOr<duo::dialect::CompiledStatement> compiled = dialect->Compile(select);
    DUO_FUZZ_CHECK(compiled.ok(), input, compiled.status().ToString());
    const std::string stray = Stray(compiled->sql);
    DUO_FUZZ_CHECK(stray.empty(), input, absl::StrCat(stray, " in ", compiled->sql));
    if (has_value) {
      bool bound = false;
      for (const duo::sql::Value& param : compiled->params) {
        if (param.kind() == duo::sql::Value::Kind::kText && param.as_text() == value) bound = true;
      }
      DUO_FUZZ_CHECK(bound, input, compiled->sql);
    }
  }
}

template <typename T>
void Fuzz(Op op, absl::string_view path, absl::string_view value, absl::string_view input) {
  duo::Query<T> query;
  switch (op) {
    case Op::kFilterBy:
      query = query.FilterBy({{std::string(path), duo::sql::Value(std::string(value))}});
      break;
    case Op::kOrderBy:
      query = query.OrderBy(std::string(path));
      break;
    case Op::kRelated:
      query = query.Related(std::string(path));
      break;
  }
  const absl::Status status = query.status();
  const bool expected = ExpectAccepted(duo::MetaOf<T>(), op, path);
  if (!status.ok()) {
    DUO_FUZZ_CHECK(absl::IsInvalidArgument(status), input, status.ToString());
    // A valid path is refused only for a value its column cannot hold.
    DUO_FUZZ_CHECK(
        !expected || (op == Op::kFilterBy && absl::StrContains(status.message(), "does not suit")),
        input, status.ToString());
    return;
  }
  DUO_FUZZ_CHECK(expected, input, "accepted a path the models do not declare");
  const duo::sql::Select select = query.Alchemize();
  CheckCompiles(select, input, value, op == Op::kFilterBy);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input = duo::fuzz::AsText(data, size);
  if (input.empty()) return 0;
  const uint8_t selector = static_cast<uint8_t>(input[0]);
  const std::vector<absl::string_view> parts = duo::fuzz::SplitInput(input.substr(1), '\n', 2);
  const Op op = static_cast<Op>(selector % 3);
  switch ((selector / 3) % 3) {
    case 0:
      Fuzz<shop::Order>(op, parts[0], parts[1], input);
      break;
    case 1:
      Fuzz<shop::Customer>(op, parts[0], parts[1], input);
      break;
    case 2:
      Fuzz<shop::Item>(op, parts[0], parts[1], input);
      break;
  }
  return 0;
}
