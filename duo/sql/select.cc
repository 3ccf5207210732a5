#include "duo/sql/select.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace duo::sql {

FromItem::FromItem(const Table& table)
    : kind_(Kind::kTable), schema_(table.schema()), name_(table.name()), alias_(table.alias()) {}

FromItem::FromItem(const DerivedTable& table)
    : kind_(Kind::kSubquery), alias_(table.alias()), subquery_(table.query()) {}

FromItem::FromItem(const Cte& cte) : kind_(Kind::kTable), name_(cte.name()) {}

FromItem FromItem::MakeJoin(FromItem left, FromItem right, JoinKind kind, Expr on) {
  FromItem item;
  item.kind_ = Kind::kJoin;
  item.join_ = std::make_shared<const JoinData>(
      JoinData{std::move(left), std::move(right), kind, std::move(on)});
  return item;
}

Select::Select() : data_(std::make_shared<const SelectData>()) {}

Select Select::Failed(absl::Status error) {
  auto data = std::make_shared<SelectData>();
  data->error =
      error.ok() ? absl::InternalError("Select::Failed without an error") : std::move(error);
  return Select(std::move(data));
}

Select::Select(std::vector<Expr> columns) {
  auto data = std::make_shared<SelectData>();
  data->columns = std::move(columns);
  data_ = std::move(data);
}

template <typename F>
Select Select::Modify(F&& change) && {
  if (data_.use_count() == 1) {
    // Nobody else can see this data: it was created non-const by this
    // class, so changing it in place is safe and saves a copy.
    auto* data = const_cast<SelectData*>(data_.get());
    change(*data);
    data->shape_hash.Reset();
    return Select(std::move(data_));
  }
  auto data = std::make_shared<SelectData>(*data_);
  change(*data);
  return Select(std::shared_ptr<const SelectData>(std::move(data)));
}

namespace {

void JoinOnto(SelectData& data, const FromItem& right, JoinKind kind, const Expr& on) {
  if (data.from.empty()) {
    // Nothing to join onto yet: the right side becomes the first item, and
    // the condition still applies (as WHERE) rather than being lost.
    data.from.push_back(right);
    if (!on.empty()) data.where.push_back(on);
  } else {
    data.from.back() = FromItem::MakeJoin(std::move(data.from.back()), right, kind, on);
  }
}

}  // namespace

// Each lvalue form copies the handle (sharing the data) and takes the
// rvalue path, which then copies the data because it is shared.

Select Select::Columns(std::vector<Expr> columns) const& {
  return Select(*this).Columns(std::move(columns));
}
Select Select::Columns(std::vector<Expr> columns) && {
  return std::move(*this).Modify(
      [&](SelectData& d) { d.columns.insert(d.columns.end(), columns.begin(), columns.end()); });
}

Select Select::WithColumns(std::vector<Expr> columns) const& {
  return Select(*this).WithColumns(std::move(columns));
}
Select Select::WithColumns(std::vector<Expr> columns) && {
  return std::move(*this).Modify([&](SelectData& d) { d.columns = std::move(columns); });
}

Select Select::From(const FromItem& item) const& { return Select(*this).From(item); }
Select Select::From(const FromItem& item) && {
  return std::move(*this).Modify([&](SelectData& d) { d.from.push_back(item); });
}

Select Select::Join(const FromItem& right, const Expr& on) const& {
  return Select(*this).Join(right, on);
}
Select Select::Join(const FromItem& right, const Expr& on) && {
  return std::move(*this).Modify([&](SelectData& d) { JoinOnto(d, right, JoinKind::kInner, on); });
}
Select Select::LeftJoin(const FromItem& right, const Expr& on) const& {
  return Select(*this).LeftJoin(right, on);
}
Select Select::LeftJoin(const FromItem& right, const Expr& on) && {
  return std::move(*this).Modify([&](SelectData& d) { JoinOnto(d, right, JoinKind::kLeft, on); });
}
Select Select::RightJoin(const FromItem& right, const Expr& on) const& {
  return Select(*this).RightJoin(right, on);
}
Select Select::RightJoin(const FromItem& right, const Expr& on) && {
  return std::move(*this).Modify([&](SelectData& d) { JoinOnto(d, right, JoinKind::kRight, on); });
}
Select Select::FullJoin(const FromItem& right, const Expr& on) const& {
  return Select(*this).FullJoin(right, on);
}
Select Select::FullJoin(const FromItem& right, const Expr& on) && {
  return std::move(*this).Modify([&](SelectData& d) { JoinOnto(d, right, JoinKind::kFull, on); });
}
Select Select::CrossJoin(const FromItem& right) const& { return Select(*this).CrossJoin(right); }
Select Select::CrossJoin(const FromItem& right) && {
  return std::move(*this).Modify(
      [&](SelectData& d) { JoinOnto(d, right, JoinKind::kCross, Expr()); });
}

Select Select::Where(const Expr& condition) const& { return Select(*this).Where(condition); }
Select Select::Where(const Expr& condition) && {
  return std::move(*this).Modify([&](SelectData& d) {
    if (!condition.empty()) d.where.push_back(condition);
  });
}

Select Select::GroupBy(std::vector<Expr> exprs) const& {
  return Select(*this).GroupBy(std::move(exprs));
}
Select Select::GroupBy(std::vector<Expr> exprs) && {
  return std::move(*this).Modify(
      [&](SelectData& d) { d.group_by.insert(d.group_by.end(), exprs.begin(), exprs.end()); });
}

Select Select::Having(const Expr& condition) const& { return Select(*this).Having(condition); }
Select Select::Having(const Expr& condition) && {
  return std::move(*this).Modify([&](SelectData& d) {
    if (!condition.empty()) d.having.push_back(condition);
  });
}

Select Select::OrderBy(std::vector<OrderTerm> terms) const& {
  return Select(*this).OrderBy(std::move(terms));
}
Select Select::OrderBy(std::vector<OrderTerm> terms) && {
  return std::move(*this).Modify(
      [&](SelectData& d) { d.order_by.insert(d.order_by.end(), terms.begin(), terms.end()); });
}

Select Select::ClearOrderBy() const& { return Select(*this).ClearOrderBy(); }
Select Select::ClearOrderBy() && {
  return std::move(*this).Modify([](SelectData& d) { d.order_by.clear(); });
}

Select Select::Limit(int64_t count) const& { return Select(*this).Limit(count); }
Select Select::Limit(int64_t count) && {
  return std::move(*this).Modify([&](SelectData& d) { d.limit = Param(count); });
}

Select Select::Offset(int64_t count) const& { return Select(*this).Offset(count); }
Select Select::Offset(int64_t count) && {
  return std::move(*this).Modify([&](SelectData& d) { d.offset = Param(count); });
}

Select Select::Distinct() const& { return Select(*this).Distinct(); }
Select Select::Distinct() && {
  return std::move(*this).Modify([](SelectData& d) { d.distinct = true; });
}

Select Select::DistinctOn(std::vector<Expr> exprs) const& {
  return Select(*this).DistinctOn(std::move(exprs));
}
Select Select::DistinctOn(std::vector<Expr> exprs) && {
  return std::move(*this).Modify([&](SelectData& d) {
    d.distinct_on.insert(d.distinct_on.end(), exprs.begin(), exprs.end());
  });
}

Select Select::With(const Cte& cte) const& { return Select(*this).With(cte); }
Select Select::With(const Cte& cte) && {
  return std::move(*this).Modify([&](SelectData& d) { d.ctes.push_back(cte.data()); });
}

Select Select::ForUpdate(LockClause::Wait wait, std::vector<std::string> of) const& {
  return Select(*this).ForUpdate(wait, std::move(of));
}
Select Select::ForUpdate(LockClause::Wait wait, std::vector<std::string> of) && {
  return std::move(*this).WithLock({LockClause::Strength::kUpdate, wait, std::move(of)});
}

Select Select::ForShare(LockClause::Wait wait, std::vector<std::string> of) const& {
  return Select(*this).ForShare(wait, std::move(of));
}
Select Select::ForShare(LockClause::Wait wait, std::vector<std::string> of) && {
  return std::move(*this).WithLock({LockClause::Strength::kShare, wait, std::move(of)});
}

Select Select::WithLock(LockClause lock) const& { return Select(*this).WithLock(std::move(lock)); }
Select Select::WithLock(LockClause lock) && {
  return std::move(*this).Modify([&](SelectData& d) { d.lock = std::move(lock); });
}

Select Select::WithHint(const Table& table, std::string text, std::string dialect) const& {
  return Select(*this).WithHint(table, std::move(text), std::move(dialect));
}
Select Select::WithHint(const Table& table, std::string text, std::string dialect) && {
  return std::move(*this).Modify([&](SelectData& d) {
    d.hints.push_back({std::move(dialect), std::move(text), table.ref_name()});
  });
}

Select Select::WithStatementHint(std::string text, std::string dialect) const& {
  return Select(*this).WithStatementHint(std::move(text), std::move(dialect));
}
Select Select::WithStatementHint(std::string text, std::string dialect) && {
  return std::move(*this).Modify([&](SelectData& d) {
    d.hints.push_back({std::move(dialect), std::move(text), /*table=*/""});
  });
}

Select Select::Compound(SetOp op, const Select& other) const {
  const SelectData& self = *data_;
  const bool extends = self.is_compound() && self.set_op == op && self.order_by.empty() &&
                       self.limit.empty() && self.offset.empty() && self.ctes.empty();
  auto data = std::make_shared<SelectData>();
  data->set_op = op;
  if (extends) {
    data->set_members = self.set_members;
  } else {
    data->set_members.push_back(data_);
  }
  data->set_members.push_back(other.data_ptr());
  return Select(std::shared_ptr<const SelectData>(std::move(data)));
}

Select Select::Union(const Select& other) const { return Compound(SetOp::kUnion, other); }
Select Select::UnionAll(const Select& other) const { return Compound(SetOp::kUnionAll, other); }
Select Select::Intersect(const Select& other) const { return Compound(SetOp::kIntersect, other); }
Select Select::Except(const Select& other) const { return Compound(SetOp::kExcept, other); }

DerivedTable Select::Subquery(std::string alias) const {
  return DerivedTable(data_, std::move(alias));
}

Expr Select::AsScalar() const {
  return Expr(MakeNode({.kind = ExprKind::kSubquery, .subquery = data_}));
}

TypedExpr<bool> Exists(const Select& query) {
  return TypedExpr<bool>(MakeNode({.kind = ExprKind::kExists, .subquery = query.data_ptr()}));
}

TypedExpr<bool> NotExists(const Select& query) {
  return TypedExpr<bool>(
      MakeNode({.kind = ExprKind::kExists, .flags = kNegated, .subquery = query.data_ptr()}));
}

Cte::Cte(std::string name, const Select& query, std::vector<std::string> columns) {
  data_.name = std::move(name);
  data_.columns = std::move(columns);
  data_.query = query.data_ptr();
}

Cte Cte::Recursive(std::string name, std::vector<std::string> columns) {
  Cte cte;
  cte.data_.name = std::move(name);
  cte.data_.columns = std::move(columns);
  cte.data_.recursive = true;
  return cte;
}

Cte Cte::As(const Select& query) const {
  Cte cte = *this;
  cte.data_.query = query.data_ptr();
  return cte;
}

}  // namespace duo::sql
