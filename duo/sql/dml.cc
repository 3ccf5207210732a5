#include "duo/sql/dml.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace duo::sql {

Insert::Insert(const Table& table)
    : data_(std::make_shared<const InsertData>(InsertData{.table = table})) {}

template <typename F>
Insert Insert::Modify(F&& change) const {
  auto data = std::make_shared<InsertData>(*data_);
  change(*data);
  return Insert(std::shared_ptr<const InsertData>(std::move(data)));
}

Insert Insert::Values(std::vector<Assignment> row) const {
  return BulkValues(std::vector<std::vector<Assignment>>{std::move(row)});
}

Insert Insert::BulkValues(std::vector<std::vector<Assignment>> rows) const {
  return Modify([&](InsertData& d) {
    for (std::vector<Assignment>& row : rows) {
      if (d.columns.empty() && d.rows.empty()) {
        for (const Assignment& a : row) d.columns.push_back(a.column);
      }
      // Place each value under its column; a column this row lacks, or one
      // the statement does not have, leaves an empty slot or an extra value
      // for the compiler to report by name.
      std::vector<Expr> values(d.columns.size());
      for (Assignment& a : row) {
        size_t index = 0;
        while (index < d.columns.size() && d.columns[index] != a.column) ++index;
        if (index == d.columns.size()) {
          d.columns.push_back(a.column);
          values.resize(d.columns.size());
          for (std::vector<Expr>& earlier : d.rows) earlier.resize(d.columns.size());
        }
        values[index] = std::move(a.value);
      }
      d.rows.push_back(std::move(values));
    }
  });
}

Insert Insert::Columns(std::vector<std::string> columns) const {
  return Modify([&](InsertData& d) { d.columns = std::move(columns); });
}

Insert Insert::AddRow(std::vector<Expr> values) const {
  return Modify([&](InsertData& d) { d.rows.push_back(std::move(values)); });
}

Insert Insert::AddRows(std::vector<std::vector<Expr>> rows) const {
  return Modify([&](InsertData& d) {
    if (d.rows.empty()) {
      d.rows = std::move(rows);
    } else {
      for (std::vector<Expr>& row : rows) d.rows.push_back(std::move(row));
    }
  });
}

Insert Insert::FromSelect(std::vector<std::string> columns, const Select& query) const {
  return Modify([&](InsertData& d) {
    d.columns = std::move(columns);
    d.select = query.data_ptr();
  });
}

Insert Insert::OnConflict(std::vector<std::string> target) const {
  return Modify(
      [&](InsertData& d) { d.on_conflict = OnConflictData{.target = std::move(target)}; });
}

Insert Insert::DoNothing() const {
  return Modify([](InsertData& d) {
    if (!d.on_conflict) d.on_conflict.emplace();
    d.on_conflict->do_nothing = true;
    d.on_conflict->updates.clear();
    d.on_conflict->where = Expr();
  });
}

Insert Insert::DoUpdate(std::vector<Assignment> updates, Expr where) const {
  return Modify([&](InsertData& d) {
    if (!d.on_conflict) d.on_conflict.emplace();
    d.on_conflict->do_nothing = false;
    d.on_conflict->updates = std::move(updates);
    d.on_conflict->where = std::move(where);
  });
}

Insert Insert::Returning(std::vector<Expr> exprs) const {
  return Modify(
      [&](InsertData& d) { d.returning.insert(d.returning.end(), exprs.begin(), exprs.end()); });
}

Update::Update(const Table& table)
    : data_(std::make_shared<const UpdateData>(UpdateData{.table = table})) {}

template <typename F>
Update Update::Modify(F&& change) const {
  auto data = std::make_shared<UpdateData>(*data_);
  change(*data);
  return Update(std::shared_ptr<const UpdateData>(std::move(data)));
}

Update Update::Set(std::vector<Assignment> assignments) const {
  return Modify([&](UpdateData& d) {
    for (Assignment& a : assignments) d.sets.push_back(std::move(a));
  });
}

Update Update::From(const FromItem& item) const {
  return Modify([&](UpdateData& d) { d.from.push_back(item); });
}

Update Update::Where(const Expr& condition) const {
  return Modify([&](UpdateData& d) {
    if (!condition.empty()) d.where.push_back(condition);
  });
}

Update Update::Returning(std::vector<Expr> exprs) const {
  return Modify(
      [&](UpdateData& d) { d.returning.insert(d.returning.end(), exprs.begin(), exprs.end()); });
}

Delete::Delete(const Table& table)
    : data_(std::make_shared<const DeleteData>(DeleteData{.table = table})) {}

template <typename F>
Delete Delete::Modify(F&& change) const {
  auto data = std::make_shared<DeleteData>(*data_);
  change(*data);
  return Delete(std::shared_ptr<const DeleteData>(std::move(data)));
}

Delete Delete::Where(const Expr& condition) const {
  return Modify([&](DeleteData& d) {
    if (!condition.empty()) d.where.push_back(condition);
  });
}

Delete Delete::Returning(std::vector<Expr> exprs) const {
  return Modify(
      [&](DeleteData& d) { d.returning.insert(d.returning.end(), exprs.begin(), exprs.end()); });
}

}  // namespace duo::sql
