// SELECT statements, FROM items, CTEs and set operations.
//
// A Select is an immutable value: every method returns a new Select and
// leaves the receiver unchanged, sharing all unchanged structure with it, so
// a base query can be kept and many queries derived from it.
//
//   Table orders("orders");
//   Select base = Select({orders.C("customer_id"), func::Sum(orders.C("total"))})
//                     .From(orders)
//                     .GroupBy(orders.C("customer_id"));
//   Select big = base.Having(func::Sum(orders.C("total")) > 10000);  // base unchanged

#ifndef DUO_SQL_SELECT_H_
#define DUO_SQL_SELECT_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "duo/sql/expr.h"
#include "duo/sql/table.h"

namespace duo::sql {

class Select;
class Cte;
class DerivedTable;
struct JoinData;

enum class JoinKind : uint8_t { kInner, kLeft, kRight, kFull, kCross };

// Something a FROM clause lists: a table (or CTE) by name, a derived table
// (a subquery with an alias), or a join of two FROM items.
class FromItem {
 public:
  enum class Kind : uint8_t { kTable, kSubquery, kJoin };

  FromItem(const Table& table);         // NOLINT: implicit by design
  FromItem(const DerivedTable& table);  // NOLINT
  FromItem(const Cte& cte);             // NOLINT

  static FromItem MakeJoin(FromItem left, FromItem right, JoinKind kind, Expr on);

  Kind kind() const { return kind_; }
  // kTable: the table (schema may be empty) and its alias, if any.
  const std::string& schema() const { return schema_; }
  const std::string& name() const { return name_; }
  const std::string& alias() const { return alias_; }
  // The name columns of this item are qualified with.
  const std::string& ref_name() const { return alias_.empty() ? name_ : alias_; }
  // kSubquery
  const std::shared_ptr<const SelectData>& subquery() const { return subquery_; }
  // kJoin
  const JoinData& join() const { return *join_; }

 private:
  FromItem() = default;

  Kind kind_ = Kind::kTable;
  std::string schema_;
  std::string name_;
  std::string alias_;
  std::shared_ptr<const SelectData> subquery_;
  std::shared_ptr<const JoinData> join_;
};

struct JoinData {
  FromItem left;
  FromItem right;
  JoinKind kind;
  Expr on;  // empty for CROSS JOIN
};

// Optimizer hints for one dialect, emitted verbatim for that dialect only and
// silently left out for every other, so one query can carry hints for
// several databases. The text is raw SQL: never build it from user input.
struct Hint {
  std::string dialect;  // "sqlite", "postgresql", "mysql", ...
  std::string text;
  std::string table;  // FROM item it follows (its ref name); empty: statement
};

// Row locking: FOR UPDATE / FOR SHARE [OF ...] [NOWAIT | SKIP LOCKED].
struct LockClause {
  enum class Strength : uint8_t { kNone, kUpdate, kNoKeyUpdate, kShare, kKeyShare };
  enum class Wait : uint8_t { kWait, kNowait, kSkipLocked };
  Strength strength = Strength::kNone;
  Wait wait = Wait::kWait;
  std::vector<std::string> of;  // ref names of the locked tables
};

enum class SetOp : uint8_t { kUnion, kUnionAll, kIntersect, kExcept };

struct CteData {
  std::string name;
  std::vector<std::string> columns;  // optional column names
  std::shared_ptr<const SelectData> query;
  bool recursive = false;
};

// Lazily computed shape hash; copies start over because they are modified.
class LazyHash {
 public:
  LazyHash() = default;
  LazyHash(const LazyHash&) {}
  LazyHash& operator=(const LazyHash&) { return *this; }
  std::atomic<size_t>& value() const { return value_; }
  void Reset() { value_.store(0, std::memory_order_relaxed); }

 private:
  mutable std::atomic<size_t> value_{0};
};

struct SelectData {
  std::vector<CteData> ctes;
  bool distinct = false;
  std::vector<Expr> distinct_on;
  std::vector<Expr> columns;  // empty: *
  std::vector<FromItem> from;
  std::vector<Expr> where;  // AND-ed
  std::vector<Expr> group_by;
  std::vector<Expr> having;  // AND-ed
  std::vector<OrderTerm> order_by;
  Expr limit;
  Expr offset;
  LockClause lock;
  std::vector<Hint> hints;
  // A compound select (set_members non-empty): the members joined by
  // set_op; columns, from, where, group_by and having are unused, while
  // order_by, limit and offset apply to the whole.
  SetOp set_op = SetOp::kUnion;
  std::vector<std::shared_ptr<const SelectData>> set_members;
  // Not OK for a statement its builder could not build (Query::Alchemize()
  // of a query whose string filters failed): compiling it, or anything
  // that contains it, returns this error, so it never runs as other SQL.
  absl::Status error;
  LazyHash shape_hash;

  bool is_compound() const { return !set_members.empty(); }
};

// Each builder method has two forms: on an lvalue it copies (sharing
// structure), on a temporary it may reuse the temporary's storage, which
// makes chained building as cheap as mutation.
class Select {
 public:
  // SELECT * (add FROM items with From).
  Select();
  // SELECT columns...
  explicit Select(std::vector<Expr> columns);
  explicit Select(std::shared_ptr<const SelectData> data) : data_(std::move(data)) {}
  // A statement that failed to build: compiling it returns `error` (see
  // SelectData::error); building on it keeps the error.
  static Select Failed(absl::Status error);

  // OK, or why the statement could not be built.
  const absl::Status& error() const { return data_->error; }

  // Adds result columns.
  [[nodiscard]] Select Columns(std::vector<Expr> columns) const&;
  [[nodiscard]] Select Columns(std::vector<Expr> columns) &&;
  // Replaces the result columns (an alchemized ORM query turned into a
  // report, for instance).
  [[nodiscard]] Select WithColumns(std::vector<Expr> columns) const&;
  [[nodiscard]] Select WithColumns(std::vector<Expr> columns) &&;
  // Adds a FROM item; several are a cross product (use joins for ON).
  [[nodiscard]] Select From(const FromItem& item) const&;
  [[nodiscard]] Select From(const FromItem& item) &&;
  // Joins `right` onto the last FROM item (with no FROM item yet, `right`
  // becomes the first and `on` a WHERE condition).
  [[nodiscard]] Select Join(const FromItem& right, const Expr& on) const&;
  [[nodiscard]] Select Join(const FromItem& right, const Expr& on) &&;
  [[nodiscard]] Select LeftJoin(const FromItem& right, const Expr& on) const&;
  [[nodiscard]] Select LeftJoin(const FromItem& right, const Expr& on) &&;
  [[nodiscard]] Select RightJoin(const FromItem& right, const Expr& on) const&;
  [[nodiscard]] Select RightJoin(const FromItem& right, const Expr& on) &&;
  [[nodiscard]] Select FullJoin(const FromItem& right, const Expr& on) const&;
  [[nodiscard]] Select FullJoin(const FromItem& right, const Expr& on) &&;
  [[nodiscard]] Select CrossJoin(const FromItem& right) const&;
  [[nodiscard]] Select CrossJoin(const FromItem& right) &&;
  // Adds a WHERE condition, AND-ed with those already present.
  [[nodiscard]] Select Where(const Expr& condition) const&;
  [[nodiscard]] Select Where(const Expr& condition) &&;
  [[nodiscard]] Select GroupBy(std::vector<Expr> exprs) const&;
  [[nodiscard]] Select GroupBy(std::vector<Expr> exprs) &&;
  template <typename... E>
  [[nodiscard]] Select GroupBy(const Expr& first, const E&... rest) const& {
    return GroupBy(std::vector<Expr>{first, rest...});
  }
  template <typename... E>
  [[nodiscard]] Select GroupBy(const Expr& first, const E&... rest) && {
    return std::move(*this).GroupBy(std::vector<Expr>{first, rest...});
  }
  // Adds a HAVING condition, AND-ed with those already present.
  [[nodiscard]] Select Having(const Expr& condition) const&;
  [[nodiscard]] Select Having(const Expr& condition) &&;
  // Appends ORDER BY terms (expressions order ascending).
  [[nodiscard]] Select OrderBy(std::vector<OrderTerm> terms) const&;
  [[nodiscard]] Select OrderBy(std::vector<OrderTerm> terms) &&;
  template <typename... T>
  [[nodiscard]] Select OrderBy(const OrderTerm& first, const T&... rest) const& {
    return OrderBy(std::vector<OrderTerm>{first, OrderTerm(rest)...});
  }
  template <typename... T>
  [[nodiscard]] Select OrderBy(const OrderTerm& first, const T&... rest) && {
    return std::move(*this).OrderBy(std::vector<OrderTerm>{first, OrderTerm(rest)...});
  }
  // Replaces any ORDER BY.
  [[nodiscard]] Select ClearOrderBy() const&;
  [[nodiscard]] Select ClearOrderBy() &&;
  [[nodiscard]] Select Limit(int64_t count) const&;
  [[nodiscard]] Select Limit(int64_t count) &&;
  [[nodiscard]] Select Offset(int64_t count) const&;
  [[nodiscard]] Select Offset(int64_t count) &&;
  [[nodiscard]] Select Distinct() const&;
  [[nodiscard]] Select Distinct() &&;
  // DISTINCT ON (exprs): PostgreSQL only.
  [[nodiscard]] Select DistinctOn(std::vector<Expr> exprs) const&;
  [[nodiscard]] Select DistinctOn(std::vector<Expr> exprs) &&;
  // WITH [RECURSIVE] cte: makes `cte` available to FROM items and subqueries.
  [[nodiscard]] Select With(const Cte& cte) const&;
  [[nodiscard]] Select With(const Cte& cte) &&;
  // FOR UPDATE / FOR SHARE: PostgreSQL only.
  [[nodiscard]] Select ForUpdate(LockClause::Wait wait = LockClause::Wait::kWait,
                                 std::vector<std::string> of = {}) const&;
  [[nodiscard]] Select ForUpdate(LockClause::Wait wait = LockClause::Wait::kWait,
                                 std::vector<std::string> of = {}) &&;
  [[nodiscard]] Select ForShare(LockClause::Wait wait = LockClause::Wait::kWait,
                                std::vector<std::string> of = {}) const&;
  [[nodiscard]] Select ForShare(LockClause::Wait wait = LockClause::Wait::kWait,
                                std::vector<std::string> of = {}) &&;
  [[nodiscard]] Select WithLock(LockClause lock) const&;
  [[nodiscard]] Select WithLock(LockClause lock) &&;
  // A hint placed after `table` in FROM, for `dialect` only.
  [[nodiscard]] Select WithHint(const Table& table, std::string text, std::string dialect) const&;
  [[nodiscard]] Select WithHint(const Table& table, std::string text, std::string dialect) &&;
  // A statement hint, placed right after SELECT, for `dialect` only.
  [[nodiscard]] Select WithStatementHint(std::string text, std::string dialect) const&;
  [[nodiscard]] Select WithStatementHint(std::string text, std::string dialect) &&;

  // Set operations. Chaining the same operation extends one compound;
  // mixing operations groups left to right.
  [[nodiscard]] Select Union(const Select& other) const;
  [[nodiscard]] Select UnionAll(const Select& other) const;
  [[nodiscard]] Select Intersect(const Select& other) const;
  [[nodiscard]] Select Except(const Select& other) const;

  // This query as a derived table: FROM (SELECT ...) AS alias.
  DerivedTable Subquery(std::string alias) const;
  // This query as a scalar value: (SELECT ...).
  Expr AsScalar() const;
  template <typename T>
  TypedExpr<T> AsScalar() const {
    return TypedExpr<T>(AsScalar());
  }

  const SelectData& data() const { return *data_; }
  const std::shared_ptr<const SelectData>& data_ptr() const { return data_; }

 private:
  // Applies `change` to this statement's data: in place when this is the
  // only reference, else to a copy.
  template <typename F>
  Select Modify(F&& change) &&;
  Select Compound(SetOp op, const Select& other) const;

  std::shared_ptr<const SelectData> data_;
};

// [NOT] EXISTS (query).
TypedExpr<bool> Exists(const Select& query);
TypedExpr<bool> NotExists(const Select& query);

// A subquery in FROM, with the alias its columns are qualified with.
class DerivedTable {
 public:
  DerivedTable(std::shared_ptr<const SelectData> query, std::string alias)
      : query_(std::move(query)), alias_(std::move(alias)) {}

  Expr C(absl::string_view column) const { return ColumnRef(alias_, std::string(column)); }
  template <typename T>
  TypedExpr<T> Col(absl::string_view column) const {
    return TypedExpr<T>(C(column));
  }
  const std::string& alias() const { return alias_; }
  const std::shared_ptr<const SelectData>& query() const { return query_; }

 private:
  std::shared_ptr<const SelectData> query_;
  std::string alias_;
};

// A common table expression. Recursive CTEs refer to themselves through the
// Cte object before their query is set:
//
//   Cte tree = Cte::Recursive("tree", {"id", "parent_id", "depth"});
//   tree = tree.As(Select({nodes.C("id"), nodes.C("parent_id"), Param(0)})
//                      .From(nodes).Where(nodes.C("parent_id") == std::nullopt)
//                      .UnionAll(Select({nodes.C("id"), nodes.C("parent_id"),
//                                        tree.C("depth") + 1})
//                                    .From(nodes)
//                                    .Join(tree, nodes.C("parent_id") == tree.C("id"))));
//   Select(...).With(tree).From(tree)
class Cte {
 public:
  Cte(std::string name, const Select& query, std::vector<std::string> columns = {});
  static Cte Recursive(std::string name, std::vector<std::string> columns = {});

  // The same CTE with its query set.
  [[nodiscard]] Cte As(const Select& query) const;

  Expr C(absl::string_view column) const { return ColumnRef(data_.name, std::string(column)); }
  template <typename T>
  TypedExpr<T> Col(absl::string_view column) const {
    return TypedExpr<T>(C(column));
  }
  const std::string& name() const { return data_.name; }
  const CteData& data() const { return data_; }

 private:
  Cte() = default;
  CteData data_;
};

}  // namespace duo::sql

#endif  // DUO_SQL_SELECT_H_
