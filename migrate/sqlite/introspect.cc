#include "migrate/sqlite/introspect.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "duo/base/status_macros.h"
#include "duo/sql/text.h"
#include "migrate/internal/type_spelling.h"

namespace duo::migrate {
namespace {

using Kind = sql::SqlType::Kind;

absl::StatusOr<Result> Query(Session& session, sql::Text text) { return session.Execute(text); }

// SQLite keeps the declared type verbatim: these are duo's own spellings
// (see the SQLite dialect) plus the usual synonyms.
std::optional<Kind> ScalarKind(absl::string_view name) {
  static const auto* const kSqlite = new std::map<std::string, Kind, std::less<>>{
      {"BOOLEAN", Kind::kBoolean}, {"SMALLINT", Kind::kSmallInt},
      {"INTEGER", Kind::kInteger}, {"INT", Kind::kInteger},
      {"BIGINT", Kind::kBigInt},   {"REAL", Kind::kReal},
      {"DOUBLE", Kind::kDouble},   {"TEXT", Kind::kText},
      {"BLOB", Kind::kBlob},       {"TIMESTAMP_TEXT", Kind::kTimestamp},
      {"DATE_TEXT", Kind::kDate},  {"JSON_TEXT", Kind::kJson},
      {"TIME_TEXT", Kind::kTime},  {"INTERVAL_TEXT", Kind::kInterval},
  };
  auto it = kSqlite->find(absl::AsciiStrToUpper(name));
  if (it == kSqlite->end()) return std::nullopt;
  return it->second;
}

// Walks SQL text, skipping quoted strings and identifiers, so that callers
// see only the structure: parentheses, commas, keywords.
class SqlScanner {
 public:
  explicit SqlScanner(absl::string_view sql) : sql_(sql) {}

  // Position of the character closing the quote or bracket opened at `at`.
  size_t SkipQuoted(size_t at) const {
    const char open = sql_[at];
    const char close = open == '[' ? ']' : open;
    for (size_t i = at + 1; i < sql_.size(); ++i) {
      if (sql_[i] != close) continue;
      if (close != ']' && i + 1 < sql_.size() && sql_[i + 1] == close) {
        ++i;  // doubled quote
        continue;
      }
      return i;
    }
    return sql_.size();
  }

  static bool IsQuote(char c) { return c == '\'' || c == '"' || c == '`' || c == '['; }

  // The text between the parenthesis at `open` and its match, and the
  // position after the match.
  std::pair<absl::string_view, size_t> Parenthesized(size_t open) const {
    int depth = 0;
    for (size_t i = open; i < sql_.size(); ++i) {
      if (IsQuote(sql_[i])) {
        i = SkipQuoted(i);
      } else if (sql_[i] == '(') {
        ++depth;
      } else if (sql_[i] == ')' && --depth == 0) {
        return {sql_.substr(open + 1, i - open - 1), i + 1};
      }
    }
    return {sql_.substr(open + 1), sql_.size()};
  }

  // Position of the first top-level '(' at or after `from`.
  size_t FindOpen(size_t from) const {
    for (size_t i = from; i < sql_.size(); ++i) {
      if (IsQuote(sql_[i])) {
        i = SkipQuoted(i);
      } else if (sql_[i] == '(') {
        return i;
      }
    }
    return absl::string_view::npos;
  }

  // Splits at commas outside parentheses and quotes.
  std::vector<absl::string_view> SplitTopLevel() const {
    std::vector<absl::string_view> parts;
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i < sql_.size(); ++i) {
      if (IsQuote(sql_[i])) {
        i = SkipQuoted(i);
      } else if (sql_[i] == '(') {
        ++depth;
      } else if (sql_[i] == ')') {
        --depth;
      } else if (sql_[i] == ',' && depth == 0) {
        parts.push_back(absl::StripAsciiWhitespace(sql_.substr(start, i - start)));
        start = i + 1;
      }
    }
    parts.push_back(absl::StripAsciiWhitespace(sql_.substr(start)));
    return parts;
  }

  // Position of the keyword `word` (whole word, any case) outside quotes
  // and parentheses, at or after `from`.
  size_t FindKeyword(absl::string_view word, size_t from) const {
    int depth = 0;
    for (size_t i = from; i < sql_.size(); ++i) {
      if (IsQuote(sql_[i])) {
        i = SkipQuoted(i);
      } else if (sql_[i] == '(') {
        ++depth;
      } else if (sql_[i] == ')') {
        --depth;
      } else if (depth == 0 && absl::EqualsIgnoreCase(sql_.substr(i, word.size()), word) &&
                 (i == 0 || !IsWordChar(sql_[i - 1])) &&
                 (i + word.size() == sql_.size() || !IsWordChar(sql_[i + word.size()]))) {
        return i;
      }
    }
    return absl::string_view::npos;
  }

 private:
  static bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  absl::string_view sql_;
};

// Reads one identifier (quoted or bare) at the start of `text`; the rest
// follows.
std::pair<std::string, absl::string_view> ReadIdentifier(absl::string_view text) {
  text = absl::StripLeadingAsciiWhitespace(text);
  if (text.empty()) return {"", text};
  if (SqlScanner::IsQuote(text[0])) {
    SqlScanner scanner(text);
    size_t close = scanner.SkipQuoted(0);
    std::string name(text.substr(1, close - 1));
    const char quote = text[0];
    if (quote != '[') {
      std::string doubled(2, quote);
      size_t at;
      while ((at = name.find(doubled)) != std::string::npos) name.erase(at, 1);
    }
    return {name, text.substr(std::min(close + 1, text.size()))};
  }
  size_t end = 0;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) ||
                               text[end] == '_' || text[end] == '$')) {
    ++end;
  }
  return {std::string(text.substr(0, end)), text.substr(end)};
}

// Every identifier and keyword in `sql`, quoted ones unquoted, string
// literals and comments skipped: enough to tell which tables a view's text
// names, without parsing SQL.
std::vector<std::string> IdentifiersIn(absl::string_view sql) {
  std::vector<std::string> words;
  for (size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      i = std::min(sql.find('\n', i), sql.size());
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const size_t close = sql.find("*/", i + 2);
      i = close == absl::string_view::npos ? sql.size() : close + 2;
    } else if (c == '\'') {
      i = SqlScanner(sql).SkipQuoted(i) + 1;
    } else if (SqlScanner::IsQuote(c)) {
      auto [name, rest] = ReadIdentifier(sql.substr(i));
      words.push_back(std::move(name));
      i = sql.size() - rest.size();
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      auto [name, rest] = ReadIdentifier(sql.substr(i));
      words.push_back(std::move(name));
      i = sql.size() - rest.size();
    } else {
      ++i;
    }
  }
  return words;
}

bool ConsumeKeyword(absl::string_view& text, absl::string_view word) {
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(text);
  if (rest.size() < word.size() || !absl::EqualsIgnoreCase(rest.substr(0, word.size()), word)) {
    return false;
  }
  if (rest.size() > word.size() &&
      (std::isalnum(static_cast<unsigned char>(rest[word.size()])) || rest[word.size()] == '_')) {
    return false;
  }
  text = rest.substr(word.size());
  return true;
}

std::vector<std::string> IdentifierList(absl::string_view list) {
  std::vector<std::string> names;
  for (absl::string_view part : SqlScanner(list).SplitTopLevel()) {
    names.push_back(ReadIdentifier(part).first);
  }
  return names;
}

// What the pragmas do not say: constraint names and check conditions, read
// from the table's CREATE statement.
struct TableConstraints {
  std::vector<sql::CheckDef> checks;
  std::vector<std::pair<std::vector<std::string>, std::string>> unique_names;
  std::vector<std::pair<std::vector<std::string>, std::string>> foreign_key_names;
};

TableConstraints ParseTableConstraints(absl::string_view create_sql) {
  TableConstraints constraints;
  SqlScanner scanner(create_sql);
  size_t open = scanner.FindOpen(0);
  if (open == absl::string_view::npos) return constraints;
  absl::string_view body = scanner.Parenthesized(open).first;
  for (absl::string_view part : SqlScanner(body).SplitTopLevel()) {
    std::string name;
    absl::string_view rest = part;
    if (ConsumeKeyword(rest, "CONSTRAINT")) std::tie(name, rest) = ReadIdentifier(rest);
    const bool check = ConsumeKeyword(rest, "CHECK");
    const bool unique = !check && ConsumeKeyword(rest, "UNIQUE");
    const bool foreign_key =
        !check && !unique && ConsumeKeyword(rest, "FOREIGN") && ConsumeKeyword(rest, "KEY");
    if (!check && !unique && !foreign_key) continue;
    SqlScanner rest_scanner(rest);
    size_t paren = rest_scanner.FindOpen(0);
    if (paren == absl::string_view::npos) continue;
    absl::string_view inside = rest_scanner.Parenthesized(paren).first;
    if (check) {
      constraints.checks.push_back({name, sql::Text(absl::StripAsciiWhitespace(inside))});
    } else if (!name.empty()) {
      (unique ? constraints.unique_names : constraints.foreign_key_names)
          .emplace_back(IdentifierList(inside), name);
    }
  }
  return constraints;
}

std::string NameFor(const std::vector<std::pair<std::vector<std::string>, std::string>>& names,
                    const std::vector<std::string>& columns) {
  for (const auto& [named_columns, name] : names) {
    if (named_columns == columns) return name;
  }
  return "";
}

sql::ReferentialAction ParseAction(absl::string_view action) {
  const std::string upper = absl::AsciiStrToUpper(action);
  if (upper == "RESTRICT") return sql::ReferentialAction::kRestrict;
  if (upper == "CASCADE") return sql::ReferentialAction::kCascade;
  if (upper == "SET NULL") return sql::ReferentialAction::kSetNull;
  if (upper == "SET DEFAULT") return sql::ReferentialAction::kSetDefault;
  return sql::ReferentialAction::kNoAction;
}

// The condition of a partial index, from its CREATE INDEX statement.
sql::Expr IndexCondition(absl::string_view create_sql) {
  SqlScanner scanner(create_sql);
  size_t open = scanner.FindOpen(0);
  if (open == absl::string_view::npos) return sql::Expr();
  size_t after = scanner.Parenthesized(open).second;
  size_t where = scanner.FindKeyword("WHERE", after);
  if (where == absl::string_view::npos) return sql::Expr();
  return sql::Text(absl::StripAsciiWhitespace(create_sql.substr(where + 5)));
}

absl::Status IntrospectSqliteTable(Session& session, const std::string& create_sql,
                                   sql::TableDef& table) {
  DUO_ASSIGN_OR_RETURN(
      Result columns,
      Query(session, sql::Text("SELECT name, type, \"notnull\", dflt_value, pk, hidden "
                               "FROM pragma_table_xinfo(:table) ORDER BY cid")
                         .Bind("table", table.name)));
  std::vector<std::pair<int64_t, std::string>> key;
  for (size_t row = 0; row < columns.size(); ++row) {
    DUO_ASSIGN_OR_RETURN(int64_t hidden, columns.Get<int64_t>(row, 5));
    if (hidden != 0) continue;  // generated columns are not duo's to manage
    sql::ColumnDef column;
    DUO_ASSIGN_OR_RETURN(column.name, columns.Get<std::string>(row, 0));
    DUO_ASSIGN_OR_RETURN(std::string type, columns.Get<std::string>(row, 1));
    column.type = ParseSqliteType(type);
    DUO_ASSIGN_OR_RETURN(bool not_null, columns.Get<bool>(row, 2));
    column.nullable = !not_null;
    DUO_ASSIGN_OR_RETURN(std::optional<std::string> default_sql,
                         columns.Get<std::optional<std::string>>(row, 3));
    if (default_sql.has_value()) column.server_default = sql::Text(*default_sql);
    DUO_ASSIGN_OR_RETURN(int64_t key_position, columns.Get<int64_t>(row, 4));
    if (key_position > 0) {
      column.primary_key = true;
      key.emplace_back(key_position, column.name);
    }
    table.columns.push_back(std::move(column));
  }
  std::sort(key.begin(), key.end());
  for (auto& [position, name] : key) table.primary_key.push_back(name);
  // A lone INTEGER PRIMARY KEY is the rowid: generated on insert.
  if (key.size() == 1) {
    sql::ColumnDef* column = nullptr;
    for (sql::ColumnDef& candidate : table.columns) {
      if (candidate.name == table.primary_key[0]) column = &candidate;
    }
    if (column != nullptr && column->type.kind == Kind::kInteger) {
      column->autoincrement = true;
      column->nullable = false;
    }
  }

  const TableConstraints constraints = ParseTableConstraints(create_sql);
  table.checks = constraints.checks;

  DUO_ASSIGN_OR_RETURN(
      Result indexes,
      Query(session,
            sql::Text("SELECT l.name, l.\"unique\", l.origin, s.sql "
                      "FROM pragma_index_list(:table) AS l "
                      "LEFT JOIN sqlite_schema AS s ON s.type = 'index' AND s.name = l.name "
                      "ORDER BY l.name")
                .Bind("table", table.name)));
  for (size_t row = 0; row < indexes.size(); ++row) {
    DUO_ASSIGN_OR_RETURN(std::string name, indexes.Get<std::string>(row, 0));
    DUO_ASSIGN_OR_RETURN(bool unique, indexes.Get<bool>(row, 1));
    DUO_ASSIGN_OR_RETURN(std::string origin, indexes.Get<std::string>(row, 2));
    if (origin == "pk") continue;
    DUO_ASSIGN_OR_RETURN(Result parts,
                         Query(session, sql::Text("SELECT name FROM pragma_index_xinfo(:index) "
                                                  "WHERE key = 1 ORDER BY seqno")
                                            .Bind("index", name)));
    std::vector<std::string> index_columns;
    for (size_t part = 0; part < parts.size(); ++part) {
      DUO_ASSIGN_OR_RETURN(std::optional<std::string> column,
                           parts.Get<std::optional<std::string>>(part, 0));
      // An expression: duo models cannot declare one, so name it for the
      // diff's messages.
      index_columns.push_back(column.value_or("(expression)"));
    }
    if (origin == "u") {
      std::string constraint_name = NameFor(constraints.unique_names, index_columns);
      table.uniques.push_back({std::move(constraint_name), std::move(index_columns)});
      continue;
    }
    DUO_ASSIGN_OR_RETURN(std::optional<std::string> create_index,
                         indexes.Get<std::optional<std::string>>(row, 3));
    table.indexes.push_back({std::move(name), std::move(index_columns), unique,
                             IndexCondition(create_index.value_or(""))});
  }

  DUO_ASSIGN_OR_RETURN(
      Result keys,
      Query(session, sql::Text("SELECT id, \"table\", \"from\", \"to\", on_update, on_delete "
                               "FROM pragma_foreign_key_list(:table) ORDER BY id, seq")
                         .Bind("table", table.name)));
  int64_t current_id = -1;
  for (size_t row = 0; row < keys.size(); ++row) {
    DUO_ASSIGN_OR_RETURN(int64_t id, keys.Get<int64_t>(row, 0));
    if (id != current_id) {
      current_id = id;
      sql::ForeignKeyDef fk;
      DUO_ASSIGN_OR_RETURN(fk.referenced_table, keys.Get<std::string>(row, 1));
      DUO_ASSIGN_OR_RETURN(std::string on_update, keys.Get<std::string>(row, 4));
      DUO_ASSIGN_OR_RETURN(std::string on_delete, keys.Get<std::string>(row, 5));
      fk.on_update = ParseAction(on_update);
      fk.on_delete = ParseAction(on_delete);
      table.foreign_keys.push_back(std::move(fk));
    }
    sql::ForeignKeyDef& fk = table.foreign_keys.back();
    DUO_ASSIGN_OR_RETURN(std::string from, keys.Get<std::string>(row, 2));
    fk.columns.push_back(std::move(from));
    // NULL when the key references the parent's primary key implicitly;
    // filled in once every table is read.
    DUO_ASSIGN_OR_RETURN(std::optional<std::string> to,
                         keys.Get<std::optional<std::string>>(row, 3));
    if (to.has_value()) fk.referenced_columns.push_back(*to);
  }
  for (sql::ForeignKeyDef& fk : table.foreign_keys) {
    fk.name = NameFor(constraints.foreign_key_names, fk.columns);
  }
  return absl::OkStatus();
}

}  // namespace

sql::SqlType ParseSqliteType(absl::string_view spelling) {
  spelling = absl::StripAsciiWhitespace(spelling);
  if (absl::EqualsIgnoreCase(spelling, "ARRAY_TEXT")) {
    // The element kind lives only in the model; the column holds JSON text.
    return sql::SqlType::Array(Kind::kUnspecified);
  }
  return migrate_internal::ParseTypeSpelling(spelling, ScalarKind);
}

absl::StatusOr<LiveSchema> IntrospectSqlite(Session& session, const IntrospectOptions& options) {
  LiveSchema schema;
  DUO_ASSIGN_OR_RETURN(
      Result tables,
      Query(session, sql::Text("SELECT name, sql FROM sqlite_schema WHERE type = 'table' "
                               "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")));
  for (size_t row = 0; row < tables.size(); ++row) {
    sql::TableDef table;
    DUO_ASSIGN_OR_RETURN(table.name, tables.Get<std::string>(row, 0));
    if (options.Excludes(table.name)) continue;
    DUO_ASSIGN_OR_RETURN(std::string create_sql, tables.Get<std::string>(row, 1));
    DUO_RETURN_IF_ERROR(IntrospectSqliteTable(session, create_sql, table));
    schema.tables.push_back(std::move(table));
  }
  for (sql::TableDef& table : schema.tables) {
    for (sql::ForeignKeyDef& fk : table.foreign_keys) {
      if (!fk.referenced_columns.empty()) continue;
      const sql::TableDef* parent = schema.FindTable(fk.referenced_table);
      if (parent != nullptr) fk.referenced_columns = parent->PrimaryKeyColumns();
    }
  }
  DUO_ASSIGN_OR_RETURN(Result views,
                       Query(session, sql::Text("SELECT name, sql FROM sqlite_schema "
                                                "WHERE type = 'view' ORDER BY rowid")));
  for (size_t row = 0; row < views.size(); ++row) {
    ViewDef view;
    DUO_ASSIGN_OR_RETURN(view.name, views.Get<std::string>(row, 0));
    DUO_ASSIGN_OR_RETURN(view.sql, views.Get<std::string>(row, 1));
    schema.views.push_back(std::move(view));
  }
  for (ViewDef& view : schema.views) {
    const std::vector<std::string> words = IdentifiersIn(view.sql);
    auto mentioned = [&](const std::string& name) {
      return std::any_of(words.begin(), words.end(), [&](const std::string& word) {
        return absl::EqualsIgnoreCase(word, name);
      });
    };
    for (const sql::TableDef& table : schema.tables) {
      if (mentioned(table.name)) view.depends_on.push_back(table.name);
    }
    for (const ViewDef& other : schema.views) {
      if (other.name != view.name && mentioned(other.name)) view.depends_on.push_back(other.name);
    }
  }
  DUO_ASSIGN_OR_RETURN(Result triggers,
                       Query(session, sql::Text("SELECT name, tbl_name, sql FROM sqlite_schema "
                                                "WHERE type = 'trigger' ORDER BY name")));
  for (size_t row = 0; row < triggers.size(); ++row) {
    TriggerDef trigger;
    DUO_ASSIGN_OR_RETURN(trigger.name, triggers.Get<std::string>(row, 0));
    DUO_ASSIGN_OR_RETURN(trigger.table, triggers.Get<std::string>(row, 1));
    DUO_ASSIGN_OR_RETURN(trigger.sql, triggers.Get<std::string>(row, 2));
    schema.triggers.push_back(std::move(trigger));
  }
  return schema;
}

}  // namespace duo::migrate
