#include "duo/sql/shape.h"

#include <cstddef>
#include <variant>
#include <vector>

#include "absl/hash/hash.h"
#include "duo/sql/functions.h"

namespace duo::sql {
namespace {

// ---- Hashing -------------------------------------------------------------

size_t ExprHash(const Expr& expr) { return expr.empty() ? 0 : expr.node().shape_hash; }

size_t FromHash(const FromItem& item) {
  switch (item.kind()) {
    case FromItem::Kind::kTable:
      return absl::HashOf(item.kind(), item.schema(), item.name(), item.alias());
    case FromItem::Kind::kSubquery:
      return absl::HashOf(item.kind(), item.alias(), ShapeHash(*item.subquery()));
    case FromItem::Kind::kJoin: {
      const JoinData& join = item.join();
      return absl::HashOf(item.kind(), join.kind, FromHash(join.left), FromHash(join.right),
                          ExprHash(join.on));
    }
  }
  return 0;
}

size_t FromHash(const std::vector<FromItem>& items) {
  size_t hash = items.size();
  for (const FromItem& item : items) hash = absl::HashOf(hash, FromHash(item));
  return hash;
}

size_t AssignmentsHash(const std::vector<Assignment>& assignments) {
  size_t hash = assignments.size();
  for (const Assignment& a : assignments) hash = absl::HashOf(hash, a.column, ExprHash(a.value));
  return hash;
}

size_t TableHash(const Table& table) {
  return absl::HashOf(table.schema(), table.name(), table.alias());
}

size_t ComputeSelectHash(const SelectData& s) {
  size_t hash =
      absl::HashOf(s.ctes.size(), s.distinct, ShapeHash(s.distinct_on), ShapeHash(s.columns),
                   FromHash(s.from), ShapeHash(s.where), ShapeHash(s.group_by), ShapeHash(s.having),
                   ShapeHash(s.order_by), ExprHash(s.limit), ExprHash(s.offset));
  for (const CteData& cte : s.ctes) {
    hash = absl::HashOf(hash, cte.name, cte.columns, cte.recursive,
                        cte.query ? ShapeHash(*cte.query) : 0);
  }
  hash = absl::HashOf(hash, s.lock.strength, s.lock.wait, s.lock.of, s.set_op, s.set_members.size(),
                      s.hints.size(), s.error.ok());
  for (const Hint& hint : s.hints) hash = absl::HashOf(hash, hint.dialect, hint.text, hint.table);
  for (const auto& member : s.set_members) hash = absl::HashOf(hash, ShapeHash(*member));
  // Zero marks "not computed yet".
  return hash == 0 ? 1 : hash;
}

// Memoized in the immutable data; racing threads compute the same value.
template <typename Data, typename Compute>
size_t Memoized(const Data& data, Compute compute) {
  size_t hash = data.shape_hash.value().load(std::memory_order_relaxed);
  if (hash == 0) {
    hash = compute(data);
    if (hash == 0) hash = 1;
    data.shape_hash.value().store(hash, std::memory_order_relaxed);
  }
  return hash;
}

size_t InsertHash(const InsertData& d) {
  size_t hash = absl::HashOf(1, TableHash(d.table), d.columns, d.rows.size(),
                             d.select ? ShapeHash(*d.select) : 0, ShapeHash(d.returning),
                             d.on_conflict.has_value());
  for (const std::vector<Expr>& row : d.rows) hash = absl::HashOf(hash, ShapeHash(row));
  if (d.on_conflict) {
    hash = absl::HashOf(hash, d.on_conflict->target, d.on_conflict->do_nothing,
                        AssignmentsHash(d.on_conflict->updates), ExprHash(d.on_conflict->where));
  }
  return hash;
}

size_t UpdateHash(const UpdateData& d) {
  return absl::HashOf(2, TableHash(d.table), AssignmentsHash(d.sets), FromHash(d.from),
                      ShapeHash(d.where), ShapeHash(d.returning));
}

size_t DeleteHash(const DeleteData& d) {
  return absl::HashOf(3, TableHash(d.table), ShapeHash(d.where), ShapeHash(d.returning));
}

// ---- Equality ------------------------------------------------------------

bool SameSelect(const SelectData& a, const SelectData& b);

bool SameSelectPtr(const std::shared_ptr<const SelectData>& a,
                   const std::shared_ptr<const SelectData>& b) {
  if (a == b) return true;
  if (!a || !b) return false;
  return SameSelect(*a, *b);
}

bool SameExpr(const Expr& a, const Expr& b);

bool SameExprs(const std::vector<Expr>& a, const std::vector<Expr>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameExpr(a[i], b[i])) return false;
  }
  return true;
}

bool SameOrder(const std::vector<OrderTerm>& a, const std::vector<OrderTerm>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].descending != b[i].descending || a[i].nulls != b[i].nulls ||
        !SameExpr(a[i].expr, b[i].expr)) {
      return false;
    }
  }
  return true;
}

bool SameWindow(const std::shared_ptr<const WindowSpec>& a,
                const std::shared_ptr<const WindowSpec>& b) {
  if (a == b) return true;
  if (!a || !b) return false;
  return SameExprs(a->partition_by, b->partition_by) && SameOrder(a->order_by, b->order_by) &&
         a->frame == b->frame;
}

bool SameExpr(const Expr& a, const Expr& b) {
  if (a.node_ptr() == b.node_ptr()) return true;
  if (a.empty() || b.empty()) return false;
  const ExprNode& x = a.node();
  const ExprNode& y = b.node();
  if (x.shape_hash != y.shape_hash || x.kind != y.kind || x.op != y.op || x.flags != y.flags ||
      x.name != y.name || x.qualifier != y.qualifier || !(x.type == y.type) ||
      !SameExprs(x.args, y.args) || !SameSelectPtr(x.subquery, y.subquery) ||
      !SameWindow(x.window, y.window)) {
    return false;
  }
  if (x.text != y.text) {
    if (!x.text || !y.text || x.text->pieces != y.text->pieces || x.text->names != y.text->names ||
        x.text->unknown_bindings != y.text->unknown_bindings) {
      return false;
    }
  }
  return true;
}

bool SameFrom(const FromItem& a, const FromItem& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case FromItem::Kind::kTable:
      return a.schema() == b.schema() && a.name() == b.name() && a.alias() == b.alias();
    case FromItem::Kind::kSubquery:
      return a.alias() == b.alias() && SameSelectPtr(a.subquery(), b.subquery());
    case FromItem::Kind::kJoin:
      return a.join().kind == b.join().kind && SameFrom(a.join().left, b.join().left) &&
             SameFrom(a.join().right, b.join().right) && SameExpr(a.join().on, b.join().on);
  }
  return false;
}

bool SameFroms(const std::vector<FromItem>& a, const std::vector<FromItem>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameFrom(a[i], b[i])) return false;
  }
  return true;
}

bool SameSelect(const SelectData& a, const SelectData& b) {
  if (&a == &b) return true;
  if (ShapeHash(a) != ShapeHash(b)) return false;
  if (a.ctes.size() != b.ctes.size() || a.set_members.size() != b.set_members.size() ||
      a.hints.size() != b.hints.size() || a.error.ok() != b.error.ok()) {
    return false;
  }
  for (size_t i = 0; i < a.ctes.size(); ++i) {
    const CteData& x = a.ctes[i];
    const CteData& y = b.ctes[i];
    if (x.name != y.name || x.columns != y.columns || x.recursive != y.recursive ||
        !SameSelectPtr(x.query, y.query)) {
      return false;
    }
  }
  for (size_t i = 0; i < a.hints.size(); ++i) {
    const Hint& x = a.hints[i];
    const Hint& y = b.hints[i];
    if (x.dialect != y.dialect || x.text != y.text || x.table != y.table) return false;
  }
  for (size_t i = 0; i < a.set_members.size(); ++i) {
    if (!SameSelectPtr(a.set_members[i], b.set_members[i])) return false;
  }
  return a.distinct == b.distinct && a.set_op == b.set_op && a.lock.strength == b.lock.strength &&
         a.lock.wait == b.lock.wait && a.lock.of == b.lock.of &&
         SameExprs(a.distinct_on, b.distinct_on) && SameExprs(a.columns, b.columns) &&
         SameFroms(a.from, b.from) && SameExprs(a.where, b.where) &&
         SameExprs(a.group_by, b.group_by) && SameExprs(a.having, b.having) &&
         SameOrder(a.order_by, b.order_by) && SameExpr(a.limit, b.limit) &&
         SameExpr(a.offset, b.offset);
}

bool SameTable(const Table& a, const Table& b) {
  return a.schema() == b.schema() && a.name() == b.name() && a.alias() == b.alias();
}

bool SameAssignments(const std::vector<Assignment>& a, const std::vector<Assignment>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].column != b[i].column || !SameExpr(a[i].value, b[i].value)) return false;
  }
  return true;
}

bool SameInsert(const InsertData& a, const InsertData& b) {
  if (!SameTable(a.table, b.table) || a.columns != b.columns || a.rows.size() != b.rows.size() ||
      !SameSelectPtr(a.select, b.select) || !SameExprs(a.returning, b.returning) ||
      a.on_conflict.has_value() != b.on_conflict.has_value()) {
    return false;
  }
  for (size_t i = 0; i < a.rows.size(); ++i) {
    if (!SameExprs(a.rows[i], b.rows[i])) return false;
  }
  if (a.on_conflict) {
    const OnConflictData& x = *a.on_conflict;
    const OnConflictData& y = *b.on_conflict;
    return x.target == y.target && x.do_nothing == y.do_nothing &&
           SameAssignments(x.updates, y.updates) && SameExpr(x.where, y.where);
  }
  return true;
}

// ---- Parameters ----------------------------------------------------------

using Visitor = absl::FunctionRef<void(const ExprNode&)>;

void VisitSelect(const SelectData& s, Visitor visit);

void VisitExpr(const Expr& expr, Visitor visit) {
  if (expr.empty()) return;
  const ExprNode& node = expr.node();
  if (node.kind == ExprKind::kParam) {
    visit(node);
    return;
  }
  for (const Expr& arg : node.args) VisitExpr(arg, visit);
  if (node.subquery) VisitSelect(*node.subquery, visit);
  if (node.window) {
    for (const Expr& e : node.window->partition_by) VisitExpr(e, visit);
    for (const OrderTerm& t : node.window->order_by) VisitExpr(t.expr, visit);
  }
}

void VisitExprs(const std::vector<Expr>& exprs, Visitor visit) {
  for (const Expr& e : exprs) VisitExpr(e, visit);
}

void VisitFrom(const FromItem& item, Visitor visit) {
  switch (item.kind()) {
    case FromItem::Kind::kTable:
      return;
    case FromItem::Kind::kSubquery:
      VisitSelect(*item.subquery(), visit);
      return;
    case FromItem::Kind::kJoin:
      VisitFrom(item.join().left, visit);
      VisitFrom(item.join().right, visit);
      VisitExpr(item.join().on, visit);
      return;
  }
}

void VisitSelect(const SelectData& s, Visitor visit) {
  for (const CteData& cte : s.ctes) {
    if (cte.query) VisitSelect(*cte.query, visit);
  }
  VisitExprs(s.distinct_on, visit);
  VisitExprs(s.columns, visit);
  for (const FromItem& item : s.from) VisitFrom(item, visit);
  VisitExprs(s.where, visit);
  VisitExprs(s.group_by, visit);
  VisitExprs(s.having, visit);
  for (const auto& member : s.set_members) VisitSelect(*member, visit);
  for (const OrderTerm& t : s.order_by) VisitExpr(t.expr, visit);
  VisitExpr(s.limit, visit);
  VisitExpr(s.offset, visit);
}

}  // namespace

size_t ShapeHash(const SelectData& select) { return Memoized(select, ComputeSelectHash); }

size_t ShapeHash(const Statement& statement) {
  return std::visit(
      [](const auto& s) -> size_t {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, Select>) {
          return ShapeHash(s.data());
        } else if constexpr (std::is_same_v<T, Insert>) {
          return Memoized(s.data(), InsertHash);
        } else if constexpr (std::is_same_v<T, Update>) {
          return Memoized(s.data(), UpdateHash);
        } else if constexpr (std::is_same_v<T, Delete>) {
          return Memoized(s.data(), DeleteHash);
        } else {
          return absl::HashOf(4, s.expr().node().shape_hash);
        }
      },
      statement);
}

bool SameShape(const Statement& a, const Statement& b) {
  if (a.index() != b.index()) return false;
  if (const auto* select = std::get_if<Select>(&a)) {
    return SameSelectPtr(select->data_ptr(), std::get<Select>(b).data_ptr());
  }
  if (const auto* insert = std::get_if<Insert>(&a)) {
    const Insert& other = std::get<Insert>(b);
    return insert->data_ptr() == other.data_ptr() || SameInsert(insert->data(), other.data());
  }
  if (const auto* update = std::get_if<Update>(&a)) {
    const UpdateData& x = update->data();
    const UpdateData& y = std::get<Update>(b).data();
    return &x == &y || (SameTable(x.table, y.table) && SameAssignments(x.sets, y.sets) &&
                        SameFroms(x.from, y.from) && SameExprs(x.where, y.where) &&
                        SameExprs(x.returning, y.returning));
  }
  if (const auto* del = std::get_if<Delete>(&a)) {
    const DeleteData& x = del->data();
    const DeleteData& y = std::get<Delete>(b).data();
    return &x == &y || (SameTable(x.table, y.table) && SameExprs(x.where, y.where) &&
                        SameExprs(x.returning, y.returning));
  }
  return SameExpr(std::get<Text>(a).expr(), std::get<Text>(b).expr());
}

void ForEachParam(const Statement& statement, Visitor visit) {
  if (const auto* select = std::get_if<Select>(&statement)) {
    VisitSelect(select->data(), visit);
  } else if (const auto* insert = std::get_if<Insert>(&statement)) {
    const InsertData& d = insert->data();
    for (const std::vector<Expr>& row : d.rows) VisitExprs(row, visit);
    if (d.select) VisitSelect(*d.select, visit);
    if (d.on_conflict) {
      for (const Assignment& a : d.on_conflict->updates) VisitExpr(a.value, visit);
      VisitExpr(d.on_conflict->where, visit);
    }
    VisitExprs(d.returning, visit);
  } else if (const auto* update = std::get_if<Update>(&statement)) {
    const UpdateData& d = update->data();
    for (const Assignment& a : d.sets) VisitExpr(a.value, visit);
    for (const FromItem& item : d.from) VisitFrom(item, visit);
    VisitExprs(d.where, visit);
    VisitExprs(d.returning, visit);
  } else if (const auto* del = std::get_if<Delete>(&statement)) {
    VisitExprs(del->data().where, visit);
    VisitExprs(del->data().returning, visit);
  } else {
    VisitExpr(std::get<Text>(statement).expr(), visit);
  }
}

}  // namespace duo::sql

namespace duo::sql {

bool Expr::SameAs(const Expr& other) const {
  if (!SameExpr(*this, other)) return false;
  std::vector<const Value*> mine;
  std::vector<const Value*> theirs;
  VisitExpr(*this, [&](const ExprNode& param) { mine.push_back(&param.value); });
  VisitExpr(other, [&](const ExprNode& param) { theirs.push_back(&param.value); });
  for (size_t i = 0; i < mine.size(); ++i) {
    if (!(*mine[i] == *theirs[i])) return false;
  }
  return true;
}

}  // namespace duo::sql
