// INSERT, UPDATE and DELETE statements, with RETURNING and upserts.
//
//   Insert(orders).Values({{"status", "pending"}, {"total_amount", 12.5}})
//       .Returning({orders.C("id")});
//   Insert(counters).Values({{"name", "hits"}, {"value", 1}})
//       .OnConflict({"name"})
//       .DoUpdate({{"value", counters.C("value") + Excluded("value")}});
//   Update(orders).Set("status", "shipped").Where(orders.C("id") == 7);
//   Delete(orders).Where(orders.C("status") == "cancelled");
//
// Like Select, each statement is an immutable value: methods return a new
// statement that shares unchanged structure with the receiver.

#ifndef DUO_SQL_DML_H_
#define DUO_SQL_DML_H_

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "duo/sql/expr.h"
#include "duo/sql/select.h"
#include "duo/sql/table.h"

namespace duo::sql {

// `column = value` in VALUES, SET and DO UPDATE; the value is a C++ value
// (bound as a parameter) or an expression.
struct Assignment {
  template <Operand V>
  Assignment(std::string column_name, V&& new_value)
      : column(std::move(column_name)), value(AsExpr(std::forward<V>(new_value))) {}

  std::string column;
  Expr value;
};

struct OnConflictData {
  std::vector<std::string> target;  // conflict columns; empty: any constraint
  bool do_nothing = true;
  std::vector<Assignment> updates;  // DO UPDATE SET ...
  Expr where;                       // DO UPDATE ... WHERE
};

struct InsertData {
  Table table;
  std::vector<std::string> columns;
  std::vector<std::vector<Expr>> rows;
  std::shared_ptr<const SelectData> select;  // INSERT ... SELECT
  std::optional<OnConflictData> on_conflict;
  std::vector<Expr> returning;
  LazyHash shape_hash;
};

class Insert {
 public:
  explicit Insert(const Table& table);

  // One row given as column/value pairs. The first call fixes the columns;
  // later calls must name the same columns (in any order), else compiling
  // fails naming the column.
  [[nodiscard]] Insert Values(std::vector<Assignment> row) const;
  // Several rows at once, each as column/value pairs.
  [[nodiscard]] Insert BulkValues(std::vector<std::vector<Assignment>> rows) const;
  // Names the columns of rows added with Row().
  [[nodiscard]] Insert Columns(std::vector<std::string> columns) const;
  // One row, positionally matching Columns().
  template <Operand... V>
  [[nodiscard]] Insert Row(V&&... values) const {
    return AddRow({AsExpr(std::forward<V>(values))...});
  }
  [[nodiscard]] Insert AddRow(std::vector<Expr> values) const;
  // Many rows at once, each positionally matching Columns().
  [[nodiscard]] Insert AddRows(std::vector<std::vector<Expr>> rows) const;
  // INSERT INTO table (columns) SELECT ...
  [[nodiscard]] Insert FromSelect(std::vector<std::string> columns, const Select& query) const;

  // ON CONFLICT (target) DO NOTHING, unless DoUpdate follows.
  [[nodiscard]] Insert OnConflict(std::vector<std::string> target = {}) const;
  [[nodiscard]] Insert DoNothing() const;
  // ON CONFLICT ... DO UPDATE SET ... [WHERE ...]; Excluded("col") is the
  // value the insert proposed.
  [[nodiscard]] Insert DoUpdate(std::vector<Assignment> updates, Expr where = Expr()) const;

  [[nodiscard]] Insert Returning(std::vector<Expr> exprs) const;

  const InsertData& data() const { return *data_; }
  const std::shared_ptr<const InsertData>& data_ptr() const { return data_; }

 private:
  explicit Insert(std::shared_ptr<const InsertData> data) : data_(std::move(data)) {}
  template <typename F>
  Insert Modify(F&& change) const;

  std::shared_ptr<const InsertData> data_;
};

struct UpdateData {
  Table table;
  std::vector<Assignment> sets;
  std::vector<FromItem> from;  // UPDATE ... FROM (both databases)
  std::vector<Expr> where;     // AND-ed
  std::vector<Expr> returning;
  LazyHash shape_hash;
};

class Update {
 public:
  explicit Update(const Table& table);

  template <Operand V>
  [[nodiscard]] Update Set(std::string column, V&& value) const {
    return Set(std::vector<Assignment>{Assignment(std::move(column), std::forward<V>(value))});
  }
  [[nodiscard]] Update Set(std::vector<Assignment> assignments) const;
  [[nodiscard]] Update From(const FromItem& item) const;
  // Adds a WHERE condition, AND-ed with those already present. An UPDATE
  // without any is legal SQL and updates every row; the ORM guards that.
  [[nodiscard]] Update Where(const Expr& condition) const;
  [[nodiscard]] Update Returning(std::vector<Expr> exprs) const;

  const UpdateData& data() const { return *data_; }
  const std::shared_ptr<const UpdateData>& data_ptr() const { return data_; }

 private:
  explicit Update(std::shared_ptr<const UpdateData> data) : data_(std::move(data)) {}
  template <typename F>
  Update Modify(F&& change) const;

  std::shared_ptr<const UpdateData> data_;
};

struct DeleteData {
  Table table;
  std::vector<Expr> where;  // AND-ed
  std::vector<Expr> returning;
  LazyHash shape_hash;
};

class Delete {
 public:
  explicit Delete(const Table& table);

  [[nodiscard]] Delete Where(const Expr& condition) const;
  [[nodiscard]] Delete Returning(std::vector<Expr> exprs) const;

  const DeleteData& data() const { return *data_; }
  const std::shared_ptr<const DeleteData>& data_ptr() const { return data_; }

 private:
  explicit Delete(std::shared_ptr<const DeleteData> data) : data_(std::move(data)) {}
  template <typename F>
  Delete Modify(F&& change) const;

  std::shared_ptr<const DeleteData> data_;
};

}  // namespace duo::sql

#endif  // DUO_SQL_DML_H_
