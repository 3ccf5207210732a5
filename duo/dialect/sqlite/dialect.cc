#include "duo/dialect/sqlite/dialect.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "duo/sql/json.h"

namespace duo::dialect {
namespace {

// The alias of the json_each over the members of the document's `step`-th
// level (from 1).
std::string JsonLevel(size_t step) { return absl::StrCat("duo_json_", step); }

// FROM and WHERE that walk the node's first `steps` steps: one json_each
// per step, each over the value the step before selected (kept only when
// it is an object or an array, whose value is JSON text), and the member
// whose key is the step's bound key or index. Keys are compared as values:
// SQLite's path strings ('$.a.b') cannot spell every key (a double quote
// ends a quoted label), while this is exact for any text, and an integer
// index never equals an object's text key. The json_each calls are joined
// side by side rather than nested, because each nested subquery costs
// SQLite's parser stack (100 entries): nested, ten steps overflowed it.
void WriteWalk(SqlWriter& writer, const sql::ExprNode& node, size_t steps) {
  writer.Write(" FROM ");
  for (size_t step = 1; step <= steps; ++step) {
    if (step == 1) {
      writer.Write("json_each(");
      writer.WriteExpr(node.args[0]);
    } else {
      const std::string parent = JsonLevel(step - 1);
      writer.Write(", json_each(CASE WHEN ");
      writer.WriteIdentifier(parent);
      writer.Write(".type IN ('object', 'array') THEN ");
      writer.WriteIdentifier(parent);
      writer.Write(".value END");
    }
    writer.Write(") AS ");
    writer.WriteIdentifier(JsonLevel(step));
  }
  for (size_t step = 1; step <= steps; ++step) {
    writer.Write(step == 1 ? " WHERE " : " AND ");
    writer.WriteIdentifier(JsonLevel(step));
    writer.Write(".key = ");
    writer.WriteExpr(node.args[step], SqlWriter::kConcat);
  }
}

// (SELECT `what` of the last level FROM the walk of every step).
void WriteAtPath(SqlWriter& writer, const sql::ExprNode& node, absl::string_view types,
                 absl::string_view value_before, absl::string_view value_after) {
  const std::string last = JsonLevel(node.name.size());
  writer.Write("(SELECT CASE WHEN ");
  writer.WriteIdentifier(last);
  writer.Write(absl::StrCat(".type ", types, " THEN ", value_before));
  writer.WriteIdentifier(last);
  writer.Write(absl::StrCat(".value", value_after, " END"));
  WriteWalk(writer, node, node.name.size());
  writer.Write(")");
}

class SqliteDialectImpl final : public Dialect {
 public:
  absl::string_view name() const override { return "sqlite"; }

  void WritePlaceholder(SqlWriter& writer, int) const override { writer.Write("?"); }

  std::string TypeName(const sql::SqlType& type) const override {
    using Kind = sql::SqlType::Kind;
    switch (type.kind) {
      case Kind::kUnspecified:
        return "";
      case Kind::kBoolean:
        return "BOOLEAN";
      case Kind::kSmallInt:
        return "SMALLINT";
      case Kind::kInteger:
        return "INTEGER";
      case Kind::kBigInt:
        return "BIGINT";
      case Kind::kReal:
        return "REAL";
      case Kind::kDouble:
        return "DOUBLE";
      // SQLite picks a column's storage from words in its declared type: a
      // NUMERIC column would turn "12.50" into the double 12.5 and a JSON one
      // '42' into an integer. These spellings keep TEXT affinity, so values
      // stay exactly as written, and still say what the column holds.
      case Kind::kNumeric:
        return absl::StrCat("DECIMAL_TEXT(", type.precision, ", ", type.scale, ")");
      case Kind::kText:
        return "TEXT";
      case Kind::kVarchar:
        return absl::StrCat("VARCHAR(", type.length, ")");
      case Kind::kBlob:
        return "BLOB";
      // As for decimals: TIMESTAMP or DATE would give NUMERIC affinity, and
      // CAST('2026-11-25T...' AS TIMESTAMP) would yield 2026.
      case Kind::kTimestamp:
        return "TIMESTAMP_TEXT";
      case Kind::kDate:
        return "DATE_TEXT";
      case Kind::kJson:
        return "JSON_TEXT";
      case Kind::kArray:
        return "ARRAY_TEXT";  // a JSON array
      case Kind::kCustom:
        return type.custom;
      // SQLAlchemy's GUID recipe (1.4) and Uuid type (2.0) declare
      // CHAR(32) on SQLite and keep 32 hex digits in it; CHAR gives TEXT
      // affinity.
      case Kind::kUuid:
        return "CHAR(32)";
      // Text that SQLite's time functions read: "09:30:00.000000". TIME
      // alone would have NUMERIC affinity (harmless for this text, but
      // spelled as the other text-held types are).
      case Kind::kTime:
        return "TIME_TEXT";
      // SQLAlchemy's Interval on SQLite: the DATETIME 1970-01-01 plus the
      // interval, as "1970-01-02 03:00:00.000000".
      case Kind::kInterval:
        return "INTERVAL_TEXT";
      // The labels as text; no CHECK, so that adding a label to the model
      // needs no table rebuild (reads refuse labels the enum lacks).
      case Kind::kEnum:
        return "TEXT";
    }
    return "";
  }

  void WriteLike(SqlWriter& writer, const sql::ExprNode& like) const override {
    if (!like.has(sql::kCaseInsensitive)) {
      Dialect::WriteLike(writer, like);
      return;
    }
    writer.Write("duo_lower(");
    writer.WriteExpr(like.args[0]);
    writer.Write(like.has(sql::kNegated) ? ") NOT LIKE duo_lower(" : ") LIKE duo_lower(");
    writer.WriteExpr(like.args[1]);
    writer.Write(") ESCAPE '\\'");
  }

  // The driver's Unicode-aware case mapping (engine/sqlite/functions.h):
  // SQLite's own lower() and upper() map ASCII only.
  absl::string_view FunctionName(absl::string_view name) const override {
    if (absl::EqualsIgnoreCase(name, "lower")) return "duo_lower";
    if (absl::EqualsIgnoreCase(name, "upper")) return "duo_upper";
    return name;
  }

  void WriteRegex(SqlWriter& writer, const sql::ExprNode& regex) const override {
    if (regex.has(sql::kNegated)) writer.Write("NOT (");
    writer.WriteExpr(regex.args[0], SqlWriter::kConcat);
    writer.Write(" REGEXP ");
    if (regex.has(sql::kCaseInsensitive)) {
      // RE2's inline flag; the pattern stays a bound value.
      writer.Write("('(?i)' || ");
      writer.WriteExpr(regex.args[1], SqlWriter::kAtom);
      writer.Write(")");
    } else {
      writer.WriteExpr(regex.args[1], SqlWriter::kConcat);
    }
    if (regex.has(sql::kNegated)) writer.Write(")");
  }

  // Arrays are JSON arrays here (TypeName's ARRAY_TEXT), and so is an
  // array parameter as the driver binds it: both are read with json_each.
  void WriteJson(SqlWriter& writer, const sql::ExprNode& node) const override {
    using sql::ExprOp;
    const size_t steps = node.name.size();
    switch (node.op) {
      case ExprOp::kJsonText:
        WriteAtPath(writer, node, "= 'text'", "", "");
        return;
      case ExprOp::kJsonNumber:
        WriteAtPath(writer, node, "IN ('integer', 'real')", "CAST(", " AS REAL)");
        return;
      // The last step is the key: the object's members are compared by
      // key, and an array's keys are integers, which never equal it.
      case ExprOp::kJsonHasKey:
        writer.Write("EXISTS (SELECT 1");
        WriteWalk(writer, node, steps);
        writer.Write(")");
        return;
      // A NULL array has no elements in json_each: the test is false, as
      // PostgreSQL's NULL is in a WHERE (no values at all is IS NOT NULL,
      // duo/sql/json.cc).
      case ExprOp::kArrayContains:
        writer.Write("NOT EXISTS (SELECT 1 FROM json_each(");
        writer.WriteExpr(node.args[1]);
        writer.Write(") WHERE value NOT IN (SELECT value FROM json_each(");
        writer.WriteExpr(node.args[0]);
        writer.Write(")))");
        return;
      case ExprOp::kArrayOverlaps:
        writer.Write("EXISTS (SELECT 1 FROM json_each(");
        writer.WriteExpr(node.args[0]);
        writer.Write(") WHERE value IN (SELECT value FROM json_each(");
        writer.WriteExpr(node.args[1]);
        writer.Write(")))");
        return;
      case ExprOp::kArrayHas:
        writer.Write("EXISTS (SELECT 1 FROM json_each(");
        writer.WriteExpr(node.args[0]);
        writer.Write(") WHERE value = ");
        writer.WriteExpr(node.args[1], SqlWriter::kConcat);
        writer.Write(")");
        return;
      case ExprOp::kArrayLength:
        writer.Write("json_array_length(");
        writer.WriteExpr(node.args[0]);
        writer.Write(")");
        return;
      default:
        // JSON containment: SQLite has no @>, and a json_each emulation
        // would differ from PostgreSQL's rules for arrays and scalars.
        Dialect::WriteJson(writer, node);
    }
  }

  void WriteCurrentTimestamp(SqlWriter& writer) const override {
    // %f is seconds with milliseconds; padding to microseconds gives the
    // driver's six-digit form (duo/sql/time_text.h).
    writer.Write("strftime('%Y-%m-%d %H:%M:%f000', 'now')");
  }

  // A column may hold the same instant as text of several lengths:
  // DuoORM's and SQLAlchemy's "2026-01-01 10:00:00.000000", what
  // CURRENT_TIMESTAMP and datetime('now') write ("2026-01-01 10:00:00",
  // which sorts before the former), strftime('%f')'s three digits, and
  // DuoORM's earlier "2026-01-01T10:00:00.000000Z". Compared as stored, they
  // give wrong answers both ways, so the column is first brought to the
  // six-digit form: the date and time with a space, then the fraction
  // padded to six digits (or .000000). Text, not julianday(): SQLite's date
  // functions keep milliseconds only. The cost is that a plain index on the
  // column does not serve the comparison.
  void WriteComparedTimestamp(SqlWriter& writer, const sql::Expr& column, int) const override {
    writer.Write("(replace(substr(");
    writer.WriteExpr(column);
    writer.Write(", 1, 19), 'T', ' ') || CASE WHEN substr(");
    writer.WriteExpr(column);
    writer.Write(", 20, 1) = '.' THEN substr(rtrim(substr(");
    writer.WriteExpr(column);
    writer.Write(", 20), 'Z') || '00000', 1, 7) ELSE '.000000' END)");
  }

  void WriteDistinctOn(SqlWriter& writer, const std::vector<sql::Expr>&) const override {
    writer.Unsupported("DISTINCT ON");
  }

  void WriteLock(SqlWriter& writer, const sql::LockClause&) const override {
    writer.Unsupported("row locking (FOR UPDATE / FOR SHARE)");
  }

  void WriteLimitOffset(SqlWriter& writer, const sql::Expr& limit,
                        const sql::Expr& offset) const override {
    // SQLite has no OFFSET without LIMIT; -1 means no limit.
    writer.Write(" LIMIT ");
    if (limit.empty()) {
      writer.Write("-1");
    } else {
      writer.WriteExpr(limit);
    }
    if (!offset.empty()) {
      writer.Write(" OFFSET ");
      writer.WriteExpr(offset);
    }
  }

  // SQLite makes a lone INTEGER PRIMARY KEY the rowid, which it generates
  // on insert: an autoincrement key is declared so.
  ColumnDeclaration DeclareColumn(const sql::TableDef& table,
                                  const sql::ColumnDef& column) const override {
    if (column.autoincrement &&
        table.PrimaryKeyColumns() == std::vector<std::string>{column.name}) {
      return {.type = "INTEGER PRIMARY KEY", .is_key = true};
    }
    return Dialect::DeclareColumn(table, column);
  }

  // Every SQLite transaction is serializable, so the isolation level needs
  // no statement. The write lock is the database's: BEGIN IMMEDIATE takes
  // it at once; and a read-only transaction is a connection setting,
  // undone when the transaction ends.
  TransactionStatements Transaction(const TransactionSpec& spec) const override {
    TransactionStatements statements{.begin = spec.lock_at_begin ? "BEGIN IMMEDIATE" : "BEGIN"};
    if (spec.read_only) {
      statements.after_begin = "PRAGMA query_only = ON";
      statements.after_end = "PRAGMA query_only = OFF";
    }
    return statements;
  }

  // SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32.
  int64_t MaxBindParameters() const override { return 32766; }

  bool ParenthesizesSetMembers() const override { return false; }
  bool UpsertSelectNeedsWhere() const override { return true; }
  bool NumberedPlaceholders() const override { return false; }
  // SQLite stores NaN as NULL; its REAL keeps the infinities, but arrays
  // are JSON text, which has neither.
  bool StoresDouble(double value, const sql::SqlType& type) const override {
    if (std::isnan(value)) return false;
    return std::isfinite(value) || type.kind != sql::SqlType::Kind::kArray;
  }
};

}  // namespace

const Dialect& SqliteDialect() {
  static const SqliteDialectImpl* const dialect = new SqliteDialectImpl();
  return *dialect;
}

}  // namespace duo::dialect
