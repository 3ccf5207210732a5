// DDL for table metadata: CREATE TABLE with its constraints, CREATE INDEX,
// DROP TABLE, spelled for one dialect.
//
// Used by Models' CreateTables (tests, prototypes) and by duo-migrate.
// DDL cannot bind parameters, so the expressions a TableDef carries
// (server defaults, check constraints, partial index conditions) are
// rendered with their values as SQL literals; they come from the program's
// model declarations, never from user input.

#ifndef DUO_DIALECT_DDL_H_
#define DUO_DIALECT_DDL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "duo/dialect/compiler.h"
#include "duo/sql/table.h"

namespace duo::dialect {

struct DdlOptions {
  bool if_not_exists = false;
};

// CREATE TABLE, then one CREATE INDEX per index, in order. An index whose
// access method (sql::IndexDef::method) the dialect lacks, such as
// PostgreSQL's "gin" on SQLite, is left out there: an index changes how
// fast a query runs, never what it answers, and one model declaration
// serves every database. A method no database has is an error.
absl::StatusOr<std::vector<std::string>> CreateTableStatements(const Dialect& dialect,
                                                               const sql::TableDef& table,
                                                               DdlOptions options = {});
std::string DropTableStatement(const Dialect& dialect, const sql::TableDef& table,
                               bool if_exists = false);
// A method the dialect lacks is Unimplemented, naming the index.
absl::StatusOr<std::string> CreateIndexStatement(const Dialect& dialect, const sql::TableDef& table,
                                                 const sql::IndexDef& index,
                                                 DdlOptions options = {});
// "col" type [NOT NULL] [DEFAULT ...], as CREATE TABLE and ADD COLUMN write
// it; the type part is the dialect's (Dialect::DeclareColumn).
absl::StatusOr<std::string> ColumnDefinition(const Dialect& dialect, const sql::TableDef& table,
                                             const sql::ColumnDef& column);
// An expression with its values as literals (see above).
absl::StatusOr<std::string> InlineExpr(const Dialect& dialect, const sql::Expr& expr);
// "name", quoted as the standard quotes identifiers (for duo-migrate's
// database-neutral text); the second form as `dialect` quotes them.
std::string QuoteIdentifier(absl::string_view name);
std::string QuoteIdentifier(const Dialect& dialect, absl::string_view name);

// The named enum types (SqlType::Enum) the table's columns use, each once,
// in column order (array elements are never enums).
std::vector<sql::SqlType> EnumTypes(const sql::TableDef& table);
// The statements that create the enum type `type` before a table uses it,
// as the dialect spells them (Dialect::CreateEnumType): PostgreSQL's CREATE
// TYPE "name" AS ENUM ('a', 'b'); nothing on SQLite, which has no enum
// types.
std::vector<std::string> CreateEnumTypeStatements(const Dialect& dialect, const sql::SqlType& type,
                                                  DdlOptions options = {});
// A SQL string literal: 'it''s'.
std::string QuoteLiteral(absl::string_view text);
std::string ReferentialActionSql(sql::ReferentialAction action);

}  // namespace duo::dialect

#endif  // DUO_DIALECT_DDL_H_
