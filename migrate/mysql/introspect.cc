#include "migrate/mysql/introspect.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "duo/base/status_macros.h"
#include "duo/sql/text.h"
#include "migrate/internal/type_spelling.h"

namespace duo::migrate {
namespace {

using Kind = sql::SqlType::Kind;

// The database read, always bound by name (see MysqlModelSchema in
// impl.cc: a cached statement saying DATABASE() may not follow a USE).
constexpr absl::string_view kMysqlSchema = ":schema";

// Types as COLUMN_TYPE spells what the dialect declares, without arguments.
std::optional<Kind> ScalarKind(absl::string_view name) {
  static const auto* const kMysql = new std::map<std::string, Kind, std::less<>>{
      {"smallint", Kind::kSmallInt}, {"int", Kind::kInteger},
      {"bigint", Kind::kBigInt},     {"float", Kind::kReal},
      {"double", Kind::kDouble},     {"longtext", Kind::kText},
      {"longblob", Kind::kBlob},     {"date", Kind::kDate},
      {"json", Kind::kJson},         {"datetime(6)", Kind::kTimestamp},
      {"time(6)", Kind::kTime},      {"char(32)", Kind::kUuid},
  };
  auto it = kMysql->find(absl::AsciiStrToLower(name));
  if (it == kMysql->end()) return std::nullopt;
  return it->second;
}

// enum('a','it''s') → {"a", "it's"}; nullopt when it does not parse.
std::optional<std::vector<std::string>> EnumLabels(absl::string_view type) {
  if (!absl::ConsumePrefix(&type, "enum(") || !absl::ConsumeSuffix(&type, ")")) return std::nullopt;
  std::vector<std::string> labels;
  size_t i = 0;
  while (i < type.size()) {
    if (type[i] != '\'') return std::nullopt;
    std::string label;
    for (++i;; ++i) {
      if (i >= type.size()) return std::nullopt;
      if (type[i] == '\'' && i + 1 < type.size() && type[i + 1] == '\'') {
        label.push_back('\'');
        ++i;
      } else if (type[i] == '\\' && i + 1 < type.size()) {
        label.push_back(type[++i]);
      } else if (type[i] == '\'') {
        break;
      } else {
        label.push_back(type[i]);
      }
    }
    labels.push_back(std::move(label));
    ++i;  // the closing quote
    if (i < type.size() && type[i] != ',') return std::nullopt;
    if (i < type.size()) ++i;
  }
  return labels;
}

// The server's expression text (a CHECK clause, a default) as it prints
// it under a sql_mode with ANSI_QUOTES (the driver's), with its "quoted"
// identifiers in backticks: revision files hold this text, and must mean
// the same to a client whose sql_mode reads "total" as a string.
std::string Backticked(absl::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\'') {  // a string literal, copied whole
      out.push_back(c);
      for (++i; i < text.size(); ++i) {
        out.push_back(text[i]);
        if (text[i] == '\\' && i + 1 < text.size()) {
          out.push_back(text[++i]);
        } else if (text[i] == '\'') {
          if (i + 1 < text.size() && text[i + 1] == '\'') {
            out.push_back(text[++i]);
          } else {
            break;
          }
        }
      }
    } else if (c == '"') {  // an identifier
      out.push_back('`');
      for (++i; i < text.size(); ++i) {
        if (text[i] == '"' && i + 1 < text.size() && text[i + 1] == '"') {
          out.push_back('"');
          ++i;
        } else if (text[i] == '"') {
          break;
        } else {
          if (text[i] == '`') out.push_back('`');
          out.push_back(text[i]);
        }
      }
      out.push_back('`');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// InnoDB treats RESTRICT and NO ACTION alike (the check is immediate), and
// MariaDB reports an action left unsaid as RESTRICT: both read as NO
// ACTION, which a plan leaves unsaid.
sql::ReferentialAction MysqlAction(absl::string_view rule) {
  if (rule == "CASCADE") return sql::ReferentialAction::kCascade;
  if (rule == "SET NULL") return sql::ReferentialAction::kSetNull;
  if (rule == "SET DEFAULT") return sql::ReferentialAction::kSetDefault;
  return sql::ReferentialAction::kNoAction;
}

absl::StatusOr<Result> Query(Session& session, absl::string_view text,
                             const IntrospectOptions& options) {
  return session.Execute(sql::Text(std::string(text)).Bind("schema", options.schema));
}

}  // namespace

sql::SqlType ParseMysqlType(absl::string_view column_type) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(column_type));
  if (lower == "tinyint(1)") return sql::SqlType::Boolean();
  if (absl::StartsWith(lower, "enum(")) {
    std::optional<std::vector<std::string>> labels =
        EnumLabels(absl::StripAsciiWhitespace(column_type));
    if (labels.has_value()) return sql::SqlType::Enum("", std::move(*labels));
  }
  // MariaDB and MySQL before 8.0.19 print a display width after an integer
  // type (int(11)); it is no part of the type.
  for (absl::string_view integer : {"smallint(", "int(", "bigint("}) {
    if (absl::StartsWith(lower, integer) && absl::EndsWith(lower, ")")) {
      int width = 0;
      absl::string_view digits = lower;
      digits.remove_prefix(integer.size());
      digits.remove_suffix(1);
      if (absl::SimpleAtoi(digits, &width)) {
        return ParseMysqlType(integer.substr(0, integer.size() - 1));
      }
    }
  }
  std::optional<Kind> whole = ScalarKind(lower);
  if (whole.has_value()) return sql::SqlType{*whole};
  if (absl::StartsWith(lower, "decimal(")) {
    return migrate_internal::ParseTypeSpelling(absl::StrCat("numeric", lower.substr(7)),
                                               ScalarKind);
  }
  return migrate_internal::ParseTypeSpelling(lower, ScalarKind);
}

absl::StatusOr<LiveSchema> IntrospectMysql(Session& session, const IntrospectOptions& requested) {
  LiveSchema schema;
  IntrospectOptions options = requested;
  if (options.schema.empty()) {
    DUO_ASSIGN_OR_RETURN(Result current, session.Execute(sql::Text("SELECT DATABASE()")));
    DUO_ASSIGN_OR_RETURN(std::optional<std::string> name,
                         current.Get<std::optional<std::string>>(0, 0));
    if (!name.has_value()) {
      return absl::FailedPreconditionError(
          "the database URL names no database: duo-migrate works on one database");
    }
    options.schema = std::move(*name);
  }
  schema.schema = options.schema;
  DUO_ASSIGN_OR_RETURN(Result mode, session.Execute(sql::Text("SELECT IF(@@SESSION.sql_mode LIKE "
                                                              "'%ANSI_QUOTES%', 'ansi', '')")));
  DUO_ASSIGN_OR_RETURN(std::string quotes, mode.Scalar<std::string>());
  const bool ansi_quotes = quotes == "ansi";
  auto expression = [ansi_quotes](const std::string& text) {
    return ansi_quotes ? Backticked(text) : text;
  };
  std::map<std::string, size_t> by_name;
  auto table_for = [&](const std::string& name) -> sql::TableDef* {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &schema.tables[it->second];
  };

  // Columns of base tables (not views), in their order.
  DUO_ASSIGN_OR_RETURN(
      Result columns,
      Query(session,
            absl::StrCat("SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.IS_NULLABLE, "
                         "c.COLUMN_DEFAULT, c.EXTRA "
                         "FROM information_schema.COLUMNS c "
                         "JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA "
                         "AND t.TABLE_NAME = c.TABLE_NAME "
                         "WHERE c.TABLE_SCHEMA = ",
                         kMysqlSchema,
                         " AND t.TABLE_TYPE = 'BASE TABLE' "
                         "ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION"),
            options));
  for (size_t row = 0; row < columns.size(); ++row) {
    DUO_ASSIGN_OR_RETURN(std::string table_name, columns.Get<std::string>(row, 0));
    if (options.Excludes(table_name)) continue;
    if (by_name.emplace(table_name, schema.tables.size()).second) {
      schema.tables.emplace_back(table_name);
    }
    DUO_ASSIGN_OR_RETURN(std::string extra, columns.Get<std::string>(row, 5));
    const std::string lower_extra = absl::AsciiStrToLower(extra);
    // Generated columns are not duo's to manage.
    if (absl::StrContains(lower_extra, "generated")) continue;
    sql::ColumnDef column;
    DUO_ASSIGN_OR_RETURN(column.name, columns.Get<std::string>(row, 1));
    DUO_ASSIGN_OR_RETURN(std::string type, columns.Get<std::string>(row, 2));
    column.type = ParseMysqlType(type);
    DUO_ASSIGN_OR_RETURN(std::string nullable, columns.Get<std::string>(row, 3));
    column.nullable = nullable == "YES";
    column.autoincrement = absl::StrContains(lower_extra, "auto_increment");
    DUO_ASSIGN_OR_RETURN(std::optional<std::string> default_sql,
                         columns.Get<std::optional<std::string>>(row, 4));
    // MariaDB (10.2.7 and later) spells a default of NULL as the text NULL,
    // and a string default quoted: 'NULL' is the four letters. No default
    // and a NULL default are the same to an INSERT.
    if (default_sql.has_value() && *default_sql != "NULL" && !column.autoincrement) {
      column.server_default = sql::Text(expression(*default_sql));
    }
    schema.tables[by_name[table_name]].columns.push_back(std::move(column));
  }

  // CHECK constraints. MariaDB's JSON type is LONGTEXT with a column-level
  // CHECK (json_valid(`column`)) named after the column: that column reads
  // back as JSON, and the CHECK is the type's, not the table's.
  DUO_ASSIGN_OR_RETURN(
      Result checks,
      Query(session,
            absl::StrCat("SELECT TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE, LEVEL "
                         "FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ",
                         kMysqlSchema, " ORDER BY TABLE_NAME, CONSTRAINT_NAME"),
            options));
  for (size_t row = 0; row < checks.size(); ++row) {
    DUO_ASSIGN_OR_RETURN(std::string table_name, checks.Get<std::string>(row, 0));
    sql::TableDef* table = table_for(table_name);
    if (table == nullptr) continue;
    DUO_ASSIGN_OR_RETURN(std::string name, checks.Get<std::string>(row, 1));
    DUO_ASSIGN_OR_RETURN(std::string clause, checks.Get<std::string>(row, 2));
    clause = expression(clause);
    DUO_ASSIGN_OR_RETURN(std::string level, checks.Get<std::string>(row, 3));
    if (level == "Column") {
      sql::ColumnDef* column = nullptr;
      for (sql::ColumnDef& candidate : table->columns) {
        if (candidate.name == name) column = &candidate;
      }
      if (column != nullptr && column->type.kind == Kind::kText &&
          clause == absl::StrCat("json_valid(`", name, "`)")) {
        column->type = sql::SqlType{Kind::kJson};
        continue;
      }
    }
    table->checks.push_back({std::move(name), sql::Text(clause)});
  }

  // Foreign keys, their columns in key order.
  DUO_ASSIGN_OR_RETURN(
      Result fks,
      Query(session,
            absl::StrCat("SELECT rc.TABLE_NAME, rc.CONSTRAINT_NAME, rc.REFERENCED_TABLE_NAME, "
                         "rc.DELETE_RULE, rc.UPDATE_RULE, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME "
                         "FROM information_schema.REFERENTIAL_CONSTRAINTS rc "
                         "JOIN information_schema.KEY_COLUMN_USAGE k "
                         "ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA "
                         "AND k.TABLE_NAME = rc.TABLE_NAME "
                         "AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME "
                         "WHERE rc.CONSTRAINT_SCHEMA = ",
                         kMysqlSchema,
                         " AND k.REFERENCED_TABLE_NAME IS NOT NULL "
                         "ORDER BY rc.TABLE_NAME, rc.CONSTRAINT_NAME, k.ORDINAL_POSITION"),
            options));
  for (size_t row = 0; row < fks.size(); ++row) {
    DUO_ASSIGN_OR_RETURN(std::string table_name, fks.Get<std::string>(row, 0));
    sql::TableDef* table = table_for(table_name);
    if (table == nullptr) continue;
    DUO_ASSIGN_OR_RETURN(std::string name, fks.Get<std::string>(row, 1));
    DUO_ASSIGN_OR_RETURN(std::string column, fks.Get<std::string>(row, 5));
    DUO_ASSIGN_OR_RETURN(std::string referenced_column, fks.Get<std::string>(row, 6));
    if (table->foreign_keys.empty() || table->foreign_keys.back().name != name) {
      sql::ForeignKeyDef fk;
      fk.name = name;
      DUO_ASSIGN_OR_RETURN(fk.referenced_table, fks.Get<std::string>(row, 2));
      DUO_ASSIGN_OR_RETURN(std::string on_delete, fks.Get<std::string>(row, 3));
      DUO_ASSIGN_OR_RETURN(std::string on_update, fks.Get<std::string>(row, 4));
      fk.on_delete = MysqlAction(on_delete);
      fk.on_update = MysqlAction(on_update);
      table->foreign_keys.push_back(std::move(fk));
    }
    table->foreign_keys.back().columns.push_back(std::move(column));
    table->foreign_keys.back().referenced_columns.push_back(std::move(referenced_column));
  }

  // Keys and indexes, their columns in key order. An expression's key part
  // (MySQL 8's functional indexes) has no column name.
  DUO_ASSIGN_OR_RETURN(
      Result keys,
      Query(session,
            absl::StrCat("SELECT TABLE_NAME, INDEX_NAME, IF(NON_UNIQUE = 0, 'unique', ''), "
                         "COALESCE(COLUMN_NAME, '(expression)') "
                         "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ",
                         kMysqlSchema, " ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX"),
            options));
  struct Key {
    std::string table;
    std::string name;
    bool unique = false;
    std::vector<std::string> columns;
  };
  std::vector<Key> found;
  for (size_t row = 0; row < keys.size(); ++row) {
    DUO_ASSIGN_OR_RETURN(std::string table_name, keys.Get<std::string>(row, 0));
    DUO_ASSIGN_OR_RETURN(std::string name, keys.Get<std::string>(row, 1));
    DUO_ASSIGN_OR_RETURN(std::string unique, keys.Get<std::string>(row, 2));
    DUO_ASSIGN_OR_RETURN(std::string column, keys.Get<std::string>(row, 3));
    if (found.empty() || found.back().table != table_name || found.back().name != name) {
      found.push_back({table_name, name, unique == "unique", {}});
    }
    found.back().columns.push_back(std::move(column));
  }
  for (Key& key : found) {
    sql::TableDef* table = table_for(key.table);
    if (table == nullptr) continue;
    if (key.name == "PRIMARY") {
      table->primary_key = key.columns;
      for (sql::ColumnDef& column : table->columns) {
        if (std::find(key.columns.begin(), key.columns.end(), column.name) != key.columns.end()) {
          column.primary_key = true;
        }
      }
      continue;
    }
    if (key.unique) {
      table->uniques.push_back({std::move(key.name), std::move(key.columns)});
      continue;
    }
    // The index InnoDB made for a foreign key: named after the constraint
    // (or, for a constraint created without a name, after its first
    // column), on the foreign key's columns.
    const sql::ForeignKeyDef* made_for = nullptr;
    for (const sql::ForeignKeyDef& fk : table->foreign_keys) {
      if (fk.columns == key.columns && (key.name == fk.name || key.name == fk.columns.front())) {
        made_for = &fk;
      }
    }
    if (made_for != nullptr) {
      schema.foreign_key_indexes[{table->name, made_for->name}] = key.name;
      continue;
    }
    sql::IndexDef index;
    index.name = std::move(key.name);
    index.columns = std::move(key.columns);
    table->indexes.push_back(std::move(index));
  }

  return schema;
}

}  // namespace duo::migrate
