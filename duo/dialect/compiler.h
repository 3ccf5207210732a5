// Compiles IR statements to the SQL of one database.
//
// A Dialect renders every construct of duo/sql the standard way and lets
// each database override only what differs (placeholders, type names,
// case-insensitive matching, row locking, ...). A construct the database
// lacks is a compile error naming the dialect and the construct, never
// silently different SQL.
//
// Compiling yields SQL text plus the bound values in placeholder order.
// Identifiers are always quoted; values are never part of the text.
//
//   const duo::dialect::Dialect& pg = duo::dialect::PostgresDialect();
//   absl::StatusOr<CompiledStatement> compiled = pg.Compile(select);
//   // compiled->sql: SELECT "orders"."id" FROM "orders" WHERE "orders"."status" = $1
//   // compiled->params: {"completed"}

#ifndef DUO_DIALECT_COMPILER_H_
#define DUO_DIALECT_COMPILER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/sql/statement.h"
#include "duo/sql/table.h"
#include "duo/sql/types.h"
#include "duo/sql/value.h"

namespace duo::dialect {

struct CompiledStatement {
  std::string sql;
  std::vector<sql::Value> params;
  // Set by duo::Database::Compile for a statement that only reads as far as
  // the IR shows (a SELECT without a locking clause), which a Database with
  // read replicas may send to one. False is always safe.
  bool reads_only = false;
};

// The value-independent part of a compilation: what the statement cache
// keeps. `slots[i]` is the canonical index (see sql::ForEachParam) of the
// value bound to the i-th placeholder, or kArraySlot for a placeholder bound
// to an array of values (a long IN list, see Dialect::MaxInlineInList): the
// k-th kArraySlot takes the values at the canonical indexes array_slots[k]
// (kNullElement: a NULL written in the list).
struct CompiledTemplate {
  static constexpr int kArraySlot = -1;
  static constexpr int kNullElement = -1;

  std::string sql;
  std::vector<int> slots;
  std::vector<std::vector<int>> array_slots;

  // The parameters for `values`, the values of a statement of this shape
  // in canonical order.
  std::vector<sql::Value> Bind(const std::vector<const sql::Value*>& values) const;
};

class Dialect;

// What errors call a kJson operator: "JSON containment (@>)", "array
// overlap (&&)", ...
absl::string_view JsonOperatorName(sql::ExprOp op);

// The error when a kJson node's path has a negative index; OK otherwise.
// Dialects call it before writing a path.
absl::Status CheckJsonPath(const sql::ExprNode& node);

// The kinds of statement a capability may depend on.
enum class StatementKind : uint8_t { kSelect, kInsert, kUpdate, kDelete };

// Canonical parameter indexes of each parameter node, one per occurrence.
using ParamSlots = absl::flat_hash_map<const sql::ExprNode*, std::vector<int>>;

// Renders one statement; handed to a dialect's overrides so that they can
// render sub-expressions. Not thread-safe; one per compilation.
class SqlWriter {
 public:
  // Operator precedence, loosest first; a child looser than its context is
  // parenthesized.
  enum Precedence : int {
    kLowest = 0,
    kOr = 1,
    kAnd = 2,
    kNot = 3,
    kComparison = 4,
    kConcat = 5,
    kAdditive = 6,
    kMultiplicative = 7,
    kUnary = 8,
    kAtom = 10,
  };

  // Records, for each placeholder, the canonical index of its value in
  // `params` (for a CompiledTemplate).
  SqlWriter(const Dialect& dialect, const ParamSlots* params);
  // Collects the values themselves, in placeholder order.
  explicit SqlWriter(const Dialect& dialect);

  void Write(absl::string_view text) { sql_.append(text.data(), text.size()); }
  void WriteIdentifier(absl::string_view name);
  // `expr`, parenthesized when it binds looser than `context`.
  void WriteExpr(const sql::Expr& expr, int context = kLowest);
  void WriteExprList(const std::vector<sql::Expr>& exprs);
  // A GROUP BY or ORDER BY term. A bare bound value is an expression on
  // every database but MySQL, which reads a bound integer there as a
  // column position (`ORDER BY ?` with 2 sorts by the second column):
  // there it is written as an expression that is not a bare value.
  void WriteSortKey(const sql::Expr& expr);
  // `keyword` and the conditions AND-ed; nothing when there are none.
  void WriteConditions(absl::string_view keyword, const std::vector<sql::Expr>& conditions);
  void WriteSelect(const sql::SelectData& select);
  void WriteStatement(const sql::Statement& statement);
  // Records the first error; rendering continues but the result is dropped.
  void Fail(absl::Status status);
  // Fails with Unimplemented: "<dialect> does not support <construct>".
  void Unsupported(absl::string_view construct);

  absl::StatusOr<CompiledTemplate> Finish() &&;
  absl::StatusOr<CompiledStatement> FinishWithValues() &&;

 private:
  void WriteNode(const sql::ExprNode& node, int context);
  // An operand of a comparison: a timestamp column goes through
  // Dialect::WriteComparedTimestamp.
  void WriteComparand(const sql::Expr& expr, int context);
  void WriteParam(const sql::ExprNode& node);
  // The canonical index of the next occurrence of parameter `node`, or -1
  // (with the writer failed).
  int NextSlot(const sql::ExprNode& node);
  // `x IN (...)` of bound values as one array parameter, when the dialect
  // binds long lists so; false when it writes the list inline.
  bool WriteInAsArray(const sql::ExprNode& in);
  void WriteFunction(const sql::ExprNode& node);
  void WriteWindow(const sql::WindowSpec& window);
  void WriteOrderBy(const std::vector<sql::OrderTerm>& terms, bool labels_by_name = true);
  void WriteFromItem(const sql::FromItem& item, const sql::SelectData* hints_from);
  void WriteTable(const sql::Table& table);
  void WriteSimpleSelect(const sql::SelectData& select);
  void WriteCompound(const sql::SelectData& select);
  void WriteCtes(const std::vector<sql::CteData>& ctes);
  void WriteLimit(const sql::SelectData& select);
  // Result columns: `expr AS "label"` for labelled expressions.
  void WriteOutputList(const std::vector<sql::Expr>& exprs);
  // RETURNING, when `exprs` is not empty and the dialect allows it after
  // a statement of `kind`.
  void WriteReturning(StatementKind kind, const std::vector<sql::Expr>& exprs);
  void WriteInsert(const sql::InsertData& insert);
  void WriteUpdate(const sql::UpdateData& update);
  void WriteDelete(const sql::DeleteData& del);
  void WriteText(const sql::ExprNode& node);

  const Dialect& dialect_;
  const ParamSlots* params_ = nullptr;
  absl::flat_hash_map<const sql::ExprNode*, size_t> occurrences_used_;
  std::string sql_;
  std::vector<int> slots_;                     // with params_
  std::vector<std::vector<int>> array_slots_;  // with params_
  std::vector<sql::Value> values_;             // without
  int placeholders_ = 0;
  absl::Status status_;
  // ORDER BY of a compound select names result columns, not table columns.
  bool unqualified_columns_ = false;
  // Inside ORDER BY, a labelled expression is referred to by its label.
  bool labels_by_name_ = false;
};

// What a transaction asks of the database; Dialect::Transaction spells it.
struct TransactionSpec {
  enum class Isolation : uint8_t { kDefault, kReadCommitted, kRepeatableRead, kSerializable };
  Isolation isolation = Isolation::kDefault;
  bool read_only = false;
  // For a database with one write lock for the whole database (SQLite):
  // take it at BEGIN rather than at the first write. Databases that lock
  // rows ignore it.
  bool lock_at_begin = false;
};

// The statements that open and close one transaction.
struct TransactionStatements {
  // "BEGIN", "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY", ...
  std::string begin;
  // Run right after `begin` when not empty: what BEGIN cannot say on this
  // database (SQLite's PRAGMA query_only = ON for a read-only transaction).
  std::string after_begin;
  // Run after the COMMIT or ROLLBACK when not empty, undoing after_begin
  // for the connection's next user.
  std::string after_end;
};

// How CREATE TABLE and ADD COLUMN declare a column after its name, as far
// as the dialect decides it (Dialect::DeclareColumn).
struct ColumnDeclaration {
  // The type, and for a ColumnDef::autoincrement column what makes it
  // generate its values: "bigint GENERATED BY DEFAULT AS IDENTITY".
  std::string type;
  // Whether `type` alone makes the column the table's whole primary key
  // (SQLite's INTEGER PRIMARY KEY, the rowid): nothing follows it (no NOT
  // NULL, no DEFAULT) and the table gets no PRIMARY KEY constraint.
  bool is_key = false;
};

// One database's SQL. Everything that differs between databases is decided
// here, by overriding a hook or answering a capability, never by comparing
// name() elsewhere: adding a database is adding a Dialect (and a driver,
// duo/engine/driver.h), not editing branches.
//
// Thread-safe: dialects hold no mutable state.
class Dialect {
 public:
  virtual ~Dialect() = default;

  // The dialect's name: what hints are scoped to (sql::Hint::dialect),
  // what duo-migrate's revision files record, and what errors say ("sqlite
  // does not support DISTINCT ON"). Lowercase: "sqlite", "postgresql".
  virtual absl::string_view name() const = 0;

  absl::StatusOr<CompiledStatement> Compile(const sql::Statement& statement) const;
  absl::StatusOr<CompiledTemplate> CompileTemplate(const sql::Statement& statement) const;

  // The SQL with every value inlined as a literal, for logs and error
  // messages only: never executed.
  std::string DebugSql(const CompiledStatement& compiled) const;

  // Hooks for the differences between databases.
  virtual void WritePlaceholder(SqlWriter& writer, int position) const = 0;
  // The character identifiers are quoted with (doubled inside them): the
  // standard's " by default, MySQL's `.
  virtual char IdentifierQuote() const { return '"'; }
  // Whether a hint scoped to `dialect` (sql::Hint::dialect) is emitted: the
  // dialect's own name by default; a dialect that serves several servers
  // (MySQL's also serves MariaDB) accepts their names too.
  virtual bool EmitsHintsFor(absl::string_view dialect) const { return dialect == name(); }
  // `left || right`; databases where || means OR write a function.
  virtual void WriteConcat(SqlWriter& writer, const sql::Expr& left, const sql::Expr& right) const;
  // One ORDER BY term after the expression's direction: NULLS FIRST / NULLS
  // LAST by default; a database without them writes what orders the same
  // or fails with writer.Unsupported().
  virtual void WriteOrderTerm(SqlWriter& writer, const sql::OrderTerm& term) const;
  // What follows INSERT INTO t for a row of only default values.
  virtual absl::string_view DefaultValuesClause() const { return " DEFAULT VALUES"; }
  // The new row's value of `column` inside an upsert's update
  // (sql::Excluded): excluded."column" by default.
  virtual void WriteExcluded(SqlWriter& writer, absl::string_view column) const;
  // The type CAST(x AS ...) names for `type`; empty when the database cannot
  // cast to it (compiling is then Unimplemented). TypeName by default.
  virtual std::string CastTypeName(const sql::SqlType& type) const { return TypeName(type); }
  virtual std::string TypeName(const sql::SqlType& type) const = 0;
  virtual void WriteLike(SqlWriter& writer, const sql::ExprNode& like) const;
  // The name a function call of the IR is written with (func::Lower's
  // "lower" may be a function of the driver's own).
  virtual absl::string_view FunctionName(absl::string_view name) const { return name; }
  virtual void WriteRegex(SqlWriter& writer, const sql::ExprNode& regex) const = 0;
  virtual void WriteCurrentTimestamp(SqlWriter& writer) const = 0;
  // `column`, declared as a timestamp, where a comparison (=, <>, <, <=,
  // >, >=, BETWEEN, IN) reads it: SQLite compares the text of rows that
  // different writers stored in different forms through one form.
  virtual void WriteComparedTimestamp(SqlWriter& writer, const sql::Expr& column,
                                      int context) const;
  virtual void WriteDistinctOn(SqlWriter& writer, const std::vector<sql::Expr>& exprs) const;
  virtual void WriteLock(SqlWriter& writer, const sql::LockClause& lock) const;
  // LIMIT/OFFSET; `limit` or `offset` may be empty.
  virtual void WriteLimitOffset(SqlWriter& writer, const sql::Expr& limit,
                                const sql::Expr& offset) const;
  // Whether members of a UNION may be parenthesized (else members with
  // their own ORDER BY or LIMIT are wrapped in a subquery).
  virtual bool ParenthesizesSetMembers() const = 0;
  // Whether INSERT ... SELECT ... ON CONFLICT needs a WHERE in the SELECT
  // to parse (SQLite's documented ambiguity).
  virtual bool UpsertSelectNeedsWhere() const { return false; }
  // $1, $2, ... rather than ?.
  virtual bool NumberedPlaceholders() const = 0;
  // Whether a column of `type` stores the double `value` (NaN, an
  // infinity) as itself and reads it back: what the ORM checks before
  // writing, so that a value the database would turn into something else
  // (SQLite stores NaN as NULL) is an error naming the column instead.
  virtual bool StoresDouble(double /*value*/, const sql::SqlType& /*type*/) const { return true; }
  // The most values an IN list of bound values is written with, one
  // placeholder each; a longer list binds its values as one array
  // parameter: `x = ANY($1)`, `x <> ALL($1)` for NOT IN. 0: never (the
  // database has no arrays).
  virtual size_t MaxInlineInList() const { return 0; }
  // A JSON or array operator (ExprKind::kJson, duo/sql/json.h): path
  // extraction, key existence, containment, array membership and length,
  // with the meaning json.h gives them on every database. `node.args[0]`
  // is the document or array; the steps and operands that follow are bound
  // values, each written exactly once (SqlWriter::WriteExpr). The default
  // fails with Unimplemented naming the dialect and the operator
  // (JsonOperatorName), so that a database gains these one at a time.
  virtual void WriteJson(SqlWriter& writer, const sql::ExprNode& node) const;
  // The upsert clause of `insert` (whose on_conflict is set), after its
  // rows: ON CONFLICT (...) DO NOTHING / DO UPDATE SET ... [WHERE ...],
  // the form SQLite and PostgreSQL share. A database that spells upserts
  // otherwise overrides it, or fails with writer.Unsupported().
  virtual void WriteUpsert(SqlWriter& writer, const sql::InsertData& insert) const;

  // ---- Capabilities: what callers above the dialect ask before they act.

  // Constructs of the standard the database may lack; compiling one it
  // lacks is Unimplemented naming the dialect and the construct.
  virtual bool SupportsFullJoin() const { return true; }
  virtual bool SupportsUpdateFrom() const { return true; }
  virtual bool SupportsAggregateFilter() const { return true; }
  virtual bool SupportsPartialIndexes() const { return true; }
  // Whether an index may use the access method `method` (sql::IndexDef),
  // one of those DDL accepts at all (ddl.h); the empty method, the default
  // one, always.
  virtual bool SupportsIndexMethod(absl::string_view method) const { return method.empty(); }
  // Whether `x IN (SELECT ... LIMIT n)` may be written as it stands. When
  // not (MySQL's error 1235), the compiler reads the limited subquery
  // through a derived table, `IN (SELECT * FROM (...) AS duo_limited)`,
  // which means the same.
  virtual bool SupportsLimitInInSubquery() const { return true; }
  // Whether a bound integer in GROUP BY or ORDER BY names a column by its
  // position (MySQL); see SqlWriter::WriteSortKey.
  virtual bool ReadsBoundSortKeysAsPositions() const { return false; }

  // The most values one statement may bind. The ORM splits multi-row
  // INSERTs to stay under it.
  virtual int64_t MaxBindParameters() const = 0;
  // Whether a statement of `kind` may end in RETURNING. Compiling one that
  // may not is Unimplemented: "<name> does not support UPDATE ... RETURNING".
  virtual bool SupportsReturning(StatementKind /*kind*/) const { return true; }
  // Whether DDL (CREATE, ALTER, DROP) takes part in transactions and rolls
  // back with them. Where it does not, a migration that fails halfway
  // leaves the statements before the failure in place.
  virtual bool TransactionalDdl() const { return true; }

  // ---- DDL (duo/dialect/ddl.h writes the statements around these).

  // OK when the database can hold `column` of `table` as declared; else
  // InvalidArgument naming the table, the column and what to declare
  // instead (MySQL has no array types). Checked before any DDL is written.
  virtual absl::Status CheckColumn(const sql::TableDef& /*table*/,
                                   const sql::ColumnDef& /*column*/) const {
    return absl::OkStatus();
  }
  // What follows CREATE TABLE's closing parenthesis (MySQL's character set
  // and collation); empty by default.
  virtual std::string TableOptions() const { return ""; }

  // How `column` of `table` is declared after its name. The default is the
  // type's name alone.
  virtual ColumnDeclaration DeclareColumn(const sql::TableDef& table,
                                          const sql::ColumnDef& column) const;
  // The statements that create the named enum type `type` (SqlType::Enum)
  // before a table uses it; with `if_not_exists`, statements that leave an
  // existing type of that name alone. None (the default) where enum
  // columns need no type of their own.
  virtual std::vector<std::string> CreateEnumType(const sql::SqlType& /*type*/,
                                                  bool /*if_not_exists*/) const {
    return {};
  }

  // ---- Transactions.

  // The statements of a transaction of `spec`. The default is standard
  // SQL: BEGIN [ISOLATION LEVEL ...] [READ ONLY].
  virtual TransactionStatements Transaction(const TransactionSpec& spec) const;
};

}  // namespace duo::dialect

#endif  // DUO_DIALECT_COMPILER_H_
