#include "duo/dialect/ddl.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "duo/base/status_macros.h"

namespace duo::dialect {
namespace {

// Whether `dialect` creates `index`: an error for an access method none of
// the databases DuoORM speaks to has (a typo, refused on every database,
// since the dialect that has the method writes it into the DDL as it
// stands); false for one this dialect lacks. "btree" is every database's
// default.
absl::StatusOr<bool> HasIndexMethod(const Dialect& dialect, const sql::TableDef& table,
                                    const sql::IndexDef& index) {
  for (absl::string_view known : {"", "btree", "hash", "gin", "gist", "spgist", "brin"}) {
    if (index.method != known) continue;
    return index.method == "btree" || dialect.SupportsIndexMethod(index.method);
  }
  return absl::InvalidArgumentError(absl::StrCat("index ", index.name, " on ", table.name,
                                                 ": unknown access method \"", index.method,
                                                 "\" (btree, hash, gin, gist, spgist, brin)"));
}

std::string ColumnList(const Dialect& dialect, const std::vector<std::string>& columns) {
  return absl::StrJoin(columns, ", ", [&dialect](std::string* out, const std::string& column) {
    out->append(QuoteIdentifier(dialect, column));
  });
}

std::string TableName(const Dialect& dialect, const sql::TableDef& table) {
  return table.schema.empty() ? QuoteIdentifier(dialect, table.name)
                              : absl::StrCat(QuoteIdentifier(dialect, table.schema), ".",
                                             QuoteIdentifier(dialect, table.name));
}

// The column's definition, and whether it declares the table's primary key
// by itself (Dialect::DeclareColumn).
absl::StatusOr<std::string> Definition(const Dialect& dialect, const sql::TableDef& table,
                                       const sql::ColumnDef& column, bool* declares_key) {
  DUO_RETURN_IF_ERROR(dialect.CheckColumn(table, column));
  const ColumnDeclaration declaration = dialect.DeclareColumn(table, column);
  *declares_key = declaration.is_key;
  std::string sql = absl::StrCat(QuoteIdentifier(dialect, column.name), " ", declaration.type);
  if (declaration.is_key) return sql;
  if (!column.nullable) absl::StrAppend(&sql, " NOT NULL");
  if (!column.server_default.empty()) {
    DUO_ASSIGN_OR_RETURN(std::string value, InlineExpr(dialect, column.server_default));
    absl::StrAppend(&sql, " DEFAULT (", value, ")");
  }
  return sql;
}

}  // namespace

std::string QuoteIdentifier(absl::string_view name) {
  return absl::StrCat("\"", absl::StrReplaceAll(name, {{"\"", "\"\""}}), "\"");
}

std::string QuoteIdentifier(const Dialect& dialect, absl::string_view name) {
  const std::string quote(1, dialect.IdentifierQuote());
  return absl::StrCat(quote, absl::StrReplaceAll(name, {{quote, quote + quote}}), quote);
}

std::string ReferentialActionSql(sql::ReferentialAction action) {
  switch (action) {
    case sql::ReferentialAction::kNoAction:
      return "NO ACTION";
    case sql::ReferentialAction::kRestrict:
      return "RESTRICT";
    case sql::ReferentialAction::kCascade:
      return "CASCADE";
    case sql::ReferentialAction::kSetNull:
      return "SET NULL";
    case sql::ReferentialAction::kSetDefault:
      return "SET DEFAULT";
  }
  return "NO ACTION";
}

absl::StatusOr<std::string> InlineExpr(const Dialect& dialect, const sql::Expr& expr) {
  SqlWriter writer(dialect);
  writer.WriteExpr(expr);
  DUO_ASSIGN_OR_RETURN(CompiledStatement compiled, std::move(writer).FinishWithValues());
  return dialect.DebugSql(compiled);
}

absl::StatusOr<std::string> ColumnDefinition(const Dialect& dialect, const sql::TableDef& table,
                                             const sql::ColumnDef& column) {
  bool declares_key = false;
  return Definition(dialect, table, column, &declares_key);
}

absl::StatusOr<std::vector<std::string>> CreateTableStatements(const Dialect& dialect,
                                                               const sql::TableDef& table,
                                                               DdlOptions options) {
  std::vector<std::string> parts;
  bool key_declared = false;
  for (const sql::ColumnDef& column : table.columns) {
    bool declares_key = false;
    DUO_ASSIGN_OR_RETURN(std::string definition, Definition(dialect, table, column, &declares_key));
    key_declared = key_declared || declares_key;
    parts.push_back(std::move(definition));
  }
  const std::vector<std::string> key = table.PrimaryKeyColumns();
  if (!key.empty() && !key_declared) {
    parts.push_back(absl::StrCat("CONSTRAINT ", QuoteIdentifier(dialect, table.name + "_pkey"),
                                 " PRIMARY KEY (", ColumnList(dialect, key), ")"));
  }
  for (const sql::ColumnDef& column : table.columns) {
    if (column.unique) {
      parts.push_back(
          absl::StrCat("CONSTRAINT ",
                       QuoteIdentifier(dialect, absl::StrCat(table.name, "_", column.name, "_key")),
                       " UNIQUE (", QuoteIdentifier(dialect, column.name), ")"));
    }
  }
  for (const sql::UniqueDef& unique : table.uniques) {
    parts.push_back(absl::StrCat("CONSTRAINT ", QuoteIdentifier(dialect, unique.name), " UNIQUE (",
                                 ColumnList(dialect, unique.columns), ")"));
  }
  for (const sql::ForeignKeyDef& fk : table.foreign_keys) {
    std::string sql;
    if (!fk.name.empty())
      absl::StrAppend(&sql, "CONSTRAINT ", QuoteIdentifier(dialect, fk.name), " ");
    absl::StrAppend(&sql, "FOREIGN KEY (", ColumnList(dialect, fk.columns), ") REFERENCES ",
                    QuoteIdentifier(dialect, fk.referenced_table), " (",
                    ColumnList(dialect, fk.referenced_columns), ")");
    if (fk.on_delete != sql::ReferentialAction::kNoAction) {
      absl::StrAppend(&sql, " ON DELETE ", ReferentialActionSql(fk.on_delete));
    }
    if (fk.on_update != sql::ReferentialAction::kNoAction) {
      absl::StrAppend(&sql, " ON UPDATE ", ReferentialActionSql(fk.on_update));
    }
    parts.push_back(std::move(sql));
  }
  for (const sql::CheckDef& check : table.checks) {
    DUO_ASSIGN_OR_RETURN(std::string condition, InlineExpr(dialect, check.condition));
    parts.push_back(absl::StrCat("CONSTRAINT ", QuoteIdentifier(dialect, check.name), " CHECK (",
                                 condition, ")"));
  }
  std::vector<std::string> statements;
  statements.push_back(absl::StrCat("CREATE TABLE ", options.if_not_exists ? "IF NOT EXISTS " : "",
                                    TableName(dialect, table), " (\n  ",
                                    absl::StrJoin(parts, ",\n  "), "\n)", dialect.TableOptions()));
  for (const sql::IndexDef& index : table.indexes) {
    DUO_ASSIGN_OR_RETURN(const bool created, HasIndexMethod(dialect, table, index));
    if (!created) continue;
    DUO_ASSIGN_OR_RETURN(std::string statement,
                         CreateIndexStatement(dialect, table, index, options));
    statements.push_back(std::move(statement));
  }
  return statements;
}

absl::StatusOr<std::string> CreateIndexStatement(const Dialect& dialect, const sql::TableDef& table,
                                                 const sql::IndexDef& index, DdlOptions options) {
  DUO_ASSIGN_OR_RETURN(const bool created, HasIndexMethod(dialect, table, index));
  if (!created) {
    return absl::UnimplementedError(absl::StrCat(dialect.name(), " does not support ", index.method,
                                                 " indexes (index ", index.name, " on ", table.name,
                                                 ")"));
  }
  // The default written as no method, so that it reads back the same.
  absl::string_view method = index.method;
  if (method == "btree") method = "";
  std::string sql = absl::StrCat("CREATE ", index.unique ? "UNIQUE " : "", "INDEX ",
                                 options.if_not_exists ? "IF NOT EXISTS " : "",
                                 QuoteIdentifier(dialect, index.name), " ON ",
                                 TableName(dialect, table), method.empty() ? "" : " USING ", method,
                                 " (", ColumnList(dialect, index.columns), ")");
  if (!index.where.empty()) {
    if (!dialect.SupportsPartialIndexes()) {
      return absl::UnimplementedError(absl::StrCat(dialect.name(),
                                                   " does not support partial indexes (index ",
                                                   index.name, " on ", table.name, ")"));
    }
    DUO_ASSIGN_OR_RETURN(std::string condition, InlineExpr(dialect, index.where));
    absl::StrAppend(&sql, " WHERE ", condition);
  }
  return sql;
}

std::vector<sql::SqlType> EnumTypes(const sql::TableDef& table) {
  std::vector<sql::SqlType> types;
  for (const sql::ColumnDef& column : table.columns) {
    if (column.type.kind != sql::SqlType::Kind::kEnum) continue;
    bool seen = false;
    for (const sql::SqlType& type : types) seen = seen || type.custom == column.type.custom;
    if (!seen) types.push_back(column.type);
  }
  return types;
}

std::string QuoteLiteral(absl::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') quoted.push_back('\'');
    quoted.push_back(c);
  }
  quoted.push_back('\'');
  return quoted;
}

std::vector<std::string> CreateEnumTypeStatements(const Dialect& dialect, const sql::SqlType& type,
                                                  DdlOptions options) {
  return dialect.CreateEnumType(type, options.if_not_exists);
}

std::string DropTableStatement(const Dialect& dialect, const sql::TableDef& table, bool if_exists) {
  return absl::StrCat("DROP TABLE ", if_exists ? "IF EXISTS " : "", TableName(dialect, table));
}

}  // namespace duo::dialect
