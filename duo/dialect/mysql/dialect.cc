#include "duo/dialect/mysql/dialect.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "duo/sql/table.h"

namespace duo::dialect {
namespace {

// A string literal in the server's default sql_mode, where a backslash
// escapes: 'it''s', 'a\\b'.
std::string QuoteLiteral(absl::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'' || c == '\\') quoted.push_back(c);
    quoted.push_back(c);
  }
  quoted.push_back('\'');
  return quoted;
}

// Whether `column` takes part in a key of `table`, where InnoDB needs a
// bounded length.
bool IsKeyed(const sql::TableDef& table, const sql::ColumnDef& column) {
  const auto has = [&column](const std::vector<std::string>& columns) {
    return std::find(columns.begin(), columns.end(), column.name) != columns.end();
  };
  if (column.unique || has(table.PrimaryKeyColumns())) return true;
  for (const sql::UniqueDef& unique : table.uniques) {
    if (has(unique.columns)) return true;
  }
  for (const sql::IndexDef& index : table.indexes) {
    if (has(index.columns)) return true;
  }
  for (const sql::ForeignKeyDef& fk : table.foreign_keys) {
    if (has(fk.columns)) return true;
  }
  return false;
}

class MysqlDialectImpl final : public Dialect {
 public:
  absl::string_view name() const override { return "mysql"; }

  void WritePlaceholder(SqlWriter& writer, int) const override { writer.Write("?"); }
  char IdentifierQuote() const override { return '`'; }

  // One dialect serves both servers; a hint may name either.
  bool EmitsHintsFor(absl::string_view dialect) const override {
    return dialect == "mysql" || dialect == "mariadb";
  }

  std::string TypeName(const sql::SqlType& type) const override {
    using Kind = sql::SqlType::Kind;
    switch (type.kind) {
      case Kind::kUnspecified:
        return "";
      // TINYINT(1): reads back through the driver's GetBool.
      case Kind::kBoolean:
        return "BOOLEAN";
      case Kind::kSmallInt:
        return "SMALLINT";
      case Kind::kInteger:
        return "INT";
      case Kind::kBigInt:
        return "BIGINT";
      case Kind::kReal:
        return "FLOAT";
      case Kind::kDouble:
        return "DOUBLE";
      case Kind::kNumeric:
        return absl::StrCat("DECIMAL(", type.precision, ", ", type.scale, ")");
      case Kind::kText:
        return "LONGTEXT";
      case Kind::kVarchar:
        return absl::StrCat("VARCHAR(", type.length, ")");
      case Kind::kBlob:
        return "LONGBLOB";
      // A UTC date and time to the microsecond: the driver's sessions run
      // with time_zone +00:00 and read DATETIME as UTC (duo/engine/mysql).
      case Kind::kTimestamp:
        return "DATETIME(6)";
      case Kind::kDate:
        return "DATE";
      // MariaDB's JSON is LONGTEXT with a json_valid() CHECK.
      case Kind::kJson:
        return "JSON";
      // CheckColumn refuses array columns before DDL is written; a CAST
      // to one is Unimplemented (CastTypeName).
      case Kind::kArray:
        return "";
      case Kind::kCustom:
        return type.custom;
      // SQLAlchemy's Uuid where there is no native type: 32 hex digits.
      case Kind::kUuid:
        return "CHAR(32)";
      case Kind::kTime:
        return "TIME(6)";
      // SQLAlchemy's Interval where there is none: 1970-01-01 plus it.
      case Kind::kInterval:
        return "DATETIME(6)";
      // The column's own ENUM: labels in order (ORDER BY sorts by it, as
      // PostgreSQL's enum types do); strict mode refuses other labels.
      case Kind::kEnum: {
        std::string labels;
        for (const std::string& label : type.labels) {
          absl::StrAppend(&labels, labels.empty() ? "" : ", ", QuoteLiteral(label));
        }
        return absl::StrCat("ENUM(", labels, ")");
      }
    }
    return "";
  }

  // CAST takes its own type names: SIGNED rather than BIGINT, CHAR rather
  // than TEXT. No JSON (MariaDB has no CAST AS JSON), no arrays.
  std::string CastTypeName(const sql::SqlType& type) const override {
    using Kind = sql::SqlType::Kind;
    switch (type.kind) {
      case Kind::kBoolean:
      case Kind::kSmallInt:
      case Kind::kInteger:
      case Kind::kBigInt:
        return "SIGNED";
      case Kind::kText:
      case Kind::kEnum:
        return "CHAR";
      case Kind::kVarchar:
        return absl::StrCat("CHAR(", type.length, ")");
      case Kind::kBlob:
        return "BINARY";
      case Kind::kJson:
      case Kind::kArray:
        return "";
      default:
        return TypeName(type);
    }
  }

  // || is OR in MySQL's default sql_mode.
  void WriteConcat(SqlWriter& writer, const sql::Expr& left,
                   const sql::Expr& right) const override {
    writer.Write("CONCAT(");
    writer.WriteExpr(left);
    writer.Write(", ");
    writer.WriteExpr(right);
    writer.Write(")");
  }

  // LIKE follows the collation of its operands, case-insensitive for the
  // server's default ones: the pattern is compared as utf8mb4_bin, so that
  // LIKE is case-sensitive everywhere, as on the other databases, and
  // ILIKE is LOWER() on both sides (Unicode-aware for utf8mb4). The escape
  // character is a backslash, written '\\' in this sql_mode.
  void WriteLike(SqlWriter& writer, const sql::ExprNode& like) const override {
    const bool insensitive = like.has(sql::kCaseInsensitive);
    if (insensitive) {
      writer.Write("LOWER(");
      writer.WriteExpr(like.args[0]);
      writer.Write(")");
    } else {
      writer.WriteExpr(like.args[0], SqlWriter::kConcat);
    }
    writer.Write(like.has(sql::kNegated) ? " NOT LIKE (" : " LIKE (");
    if (insensitive) writer.Write("LOWER(");
    writer.WriteExpr(like.args[1], insensitive ? SqlWriter::kLowest : SqlWriter::kConcat);
    if (insensitive) writer.Write(")");
    writer.Write(" COLLATE utf8mb4_bin) ESCAPE '\\\\'");
  }

  // REGEXP's case rule follows the collation too: the pattern states it
  // with PCRE's (MariaDB) and ICU's (MySQL 8) inline flag, the pattern
  // itself still a bound value.
  void WriteRegex(SqlWriter& writer, const sql::ExprNode& regex) const override {
    if (regex.has(sql::kNegated)) writer.Write("NOT (");
    writer.WriteExpr(regex.args[0], SqlWriter::kConcat);
    writer.Write(regex.has(sql::kCaseInsensitive) ? " REGEXP CONCAT('(?i)', "
                                                  : " REGEXP CONCAT('(?-i)', ");
    writer.WriteExpr(regex.args[1]);
    writer.Write(")");
    if (regex.has(sql::kNegated)) writer.Write(")");
  }

  void WriteCurrentTimestamp(SqlWriter& writer) const override {
    writer.Write("CURRENT_TIMESTAMP(6)");
  }

  void WriteDistinctOn(SqlWriter& writer, const std::vector<sql::Expr>&) const override {
    writer.Unsupported("DISTINCT ON");
  }

  // MySQL sorts NULL first ascending and last descending; the other
  // combinations sort on `x IS NULL` first. An expression with bound values
  // cannot be written twice: those are Unimplemented.
  void WriteOrderTerm(SqlWriter& writer, const sql::OrderTerm& term) const override {
    using Nulls = sql::OrderTerm::Nulls;
    const bool reorder = (term.nulls == Nulls::kLast && !term.descending) ||
                         (term.nulls == Nulls::kFirst && term.descending);
    if (reorder) {
      writer.WriteExpr(term.expr, SqlWriter::kComparison + 1);
      writer.Write(term.descending ? " IS NULL DESC, " : " IS NULL, ");
    }
    writer.WriteSortKey(term.expr);
    if (term.descending) writer.Write(" DESC");
  }

  // MariaDB has FOR UPDATE and LOCK IN SHARE MODE (MySQL 8 reads both),
  // with NOWAIT and SKIP LOCKED; not PostgreSQL's weaker strengths, nor
  // OF tables.
  void WriteLock(SqlWriter& writer, const sql::LockClause& lock) const override {
    using Strength = sql::LockClause::Strength;
    switch (lock.strength) {
      case Strength::kNone:
        return;
      case Strength::kUpdate:
        writer.Write(" FOR UPDATE");
        break;
      case Strength::kShare:
        writer.Write(" LOCK IN SHARE MODE");
        break;
      case Strength::kNoKeyUpdate:
        writer.Unsupported("FOR NO KEY UPDATE");
        return;
      case Strength::kKeyShare:
        writer.Unsupported("FOR KEY SHARE");
        return;
    }
    if (!lock.of.empty()) {
      writer.Unsupported("row locking OF tables");
      return;
    }
    if (lock.wait == sql::LockClause::Wait::kNowait) writer.Write(" NOWAIT");
    if (lock.wait == sql::LockClause::Wait::kSkipLocked) writer.Write(" SKIP LOCKED");
  }

  // No OFFSET without LIMIT: the largest row count stands for none.
  void WriteLimitOffset(SqlWriter& writer, const sql::Expr& limit,
                        const sql::Expr& offset) const override {
    writer.Write(" LIMIT ");
    if (limit.empty()) {
      writer.Write("18446744073709551615");
    } else {
      writer.WriteExpr(limit);
    }
    if (!offset.empty()) {
      writer.Write(" OFFSET ");
      writer.WriteExpr(offset);
    }
  }

  absl::string_view DefaultValuesClause() const override { return " () VALUES ()"; }

  // VALUES(col): the value the INSERT would have written (MySQL 8.0.20
  // deprecates it with a warning, and still reads it).
  void WriteExcluded(SqlWriter& writer, absl::string_view column) const override {
    writer.Write("VALUES(");
    writer.WriteIdentifier(column);
    writer.Write(")");
  }

  // ON DUPLICATE KEY UPDATE fires on a duplicate in any unique key of the
  // table, not only the conflict target's: the target is not written.
  // DO NOTHING assigns a key column to itself, which changes nothing (and
  // unlike INSERT IGNORE turns no other error into a warning). A WHERE on
  // the update has no equivalent.
  void WriteUpsert(SqlWriter& writer, const sql::InsertData& insert) const override {
    const sql::OnConflictData& conflict = *insert.on_conflict;
    writer.Write(" ON DUPLICATE KEY UPDATE ");
    if (conflict.do_nothing) {
      const std::vector<std::string>& columns =
          conflict.target.empty() ? insert.columns : conflict.target;
      if (columns.empty()) {
        writer.Unsupported("ON CONFLICT DO NOTHING without a column to assign");
        return;
      }
      writer.WriteIdentifier(columns[0]);
      writer.Write(" = ");
      writer.WriteIdentifier(columns[0]);
      return;
    }
    if (!conflict.where.empty()) {
      writer.Unsupported("ON CONFLICT DO UPDATE ... WHERE");
      return;
    }
    if (conflict.updates.empty()) {
      writer.Fail(absl::InvalidArgumentError(absl::StrCat(
          "INSERT INTO ", insert.table.name(), ": ON CONFLICT DO UPDATE sets no column")));
      return;
    }
    for (size_t i = 0; i < conflict.updates.size(); ++i) {
      if (i > 0) writer.Write(", ");
      writer.WriteIdentifier(conflict.updates[i].column);
      writer.Write(" = ");
      writer.WriteExpr(conflict.updates[i].value);
    }
  }

  ColumnDeclaration DeclareColumn(const sql::TableDef& table,
                                  const sql::ColumnDef& column) const override {
    ColumnDeclaration declaration = Dialect::DeclareColumn(table, column);
    if (column.type.kind == sql::SqlType::Kind::kText && IsKeyed(table, column)) {
      declaration.type = absl::StrCat("VARCHAR(", kMysqlKeyedTextLength, ")");
    }
    if (column.autoincrement) declaration.type += " AUTO_INCREMENT";
    return declaration;
  }

  absl::Status CheckColumn(const sql::TableDef& table,
                           const sql::ColumnDef& column) const override {
    if (column.type.kind == sql::SqlType::Kind::kArray) {
      return absl::InvalidArgumentError(
          absl::StrCat("column ", column.name, " of table ", table.name,
                       " is an array, and mysql has no array types: declare it as JSON instead"));
    }
    return absl::OkStatus();
  }

  // Code point order, case and accents significant: what SQLite and
  // PostgreSQL's C collation compare.
  std::string TableOptions() const override {
    return " DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin";
  }

  // SET TRANSACTION applies to the next transaction only, so it goes
  // before START TRANSACTION (the session runs `begin` as a script).
  TransactionStatements Transaction(const TransactionSpec& spec) const override {
    std::string begin;
    switch (spec.isolation) {
      case TransactionSpec::Isolation::kDefault:
        break;
      case TransactionSpec::Isolation::kReadCommitted:
        begin = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED; ";
        break;
      case TransactionSpec::Isolation::kRepeatableRead:
        begin = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ; ";
        break;
      case TransactionSpec::Isolation::kSerializable:
        begin = "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE; ";
        break;
    }
    begin += spec.read_only ? "START TRANSACTION READ ONLY" : "START TRANSACTION";
    return {.begin = std::move(begin)};
  }

  // COM_STMT_PREPARE reports the parameter count in two bytes.
  int64_t MaxBindParameters() const override { return 65535; }
  // MariaDB 10.5 added INSERT ... RETURNING and DELETE ... RETURNING; no
  // version has UPDATE ... RETURNING (nor has MySQL 8 any of them).
  bool SupportsReturning(StatementKind kind) const override {
    return kind == StatementKind::kInsert || kind == StatementKind::kDelete;
  }
  // Every CREATE, ALTER and DROP commits the transaction it runs in.
  bool TransactionalDdl() const override { return false; }
  bool SupportsFullJoin() const override { return false; }
  bool SupportsUpdateFrom() const override { return false; }
  bool SupportsAggregateFilter() const override { return false; }
  bool SupportsPartialIndexes() const override { return false; }
  bool SupportsLimitInInSubquery() const override { return false; }
  bool ReadsBoundSortKeysAsPositions() const override { return true; }

  bool ParenthesizesSetMembers() const override { return true; }
  bool NumberedPlaceholders() const override { return false; }
  // No column type holds NaN or the infinities.
  bool StoresDouble(double value, const sql::SqlType&) const override {
    return std::isfinite(value);
  }
};

}  // namespace

const Dialect& MysqlDialect() {
  static const MysqlDialectImpl* const dialect = new MysqlDialectImpl();
  return *dialect;
}

}  // namespace duo::dialect
