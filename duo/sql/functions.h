// SQL functions, aggregates and window functions.
//
//   namespace func = duo::func;
//   func::Sum(total)                                  sum("orders"."total")
//   func::Count()                                     count(*)
//   func::Count(customer_id).Distinct()               count(DISTINCT ...)
//   func::Sum(total).Filter(status == "completed")    sum(...) FILTER (WHERE ...)
//   func::RowNumber().Over(duo::sql::Window()
//       .PartitionBy(customer_id).OrderBy(created_at.Desc()))
//   func::Call("length", name)                        any function by name

#ifndef DUO_SQL_FUNCTIONS_H_
#define DUO_SQL_FUNCTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "duo/sql/expr.h"

namespace duo::sql {

// A window frame bound: UNBOUNDED PRECEDING, n PRECEDING, CURRENT ROW, ...
struct FrameBound {
  enum class Kind : uint8_t {
    kUnboundedPreceding,
    kPreceding,
    kCurrentRow,
    kFollowing,
    kUnboundedFollowing
  };
  Kind kind = Kind::kCurrentRow;
  int64_t offset = 0;  // for kPreceding / kFollowing

  static FrameBound UnboundedPreceding() { return {Kind::kUnboundedPreceding}; }
  static FrameBound Preceding(int64_t n) { return {Kind::kPreceding, n}; }
  static FrameBound CurrentRow() { return {Kind::kCurrentRow}; }
  static FrameBound Following(int64_t n) { return {Kind::kFollowing, n}; }
  static FrameBound UnboundedFollowing() { return {Kind::kUnboundedFollowing}; }
  friend bool operator==(const FrameBound&, const FrameBound&) = default;
};

struct WindowFrame {
  enum class Mode : uint8_t { kRows, kRange };
  Mode mode = Mode::kRows;
  FrameBound start;
  FrameBound end;
  friend bool operator==(const WindowFrame&, const WindowFrame&) = default;
};

// OVER (PARTITION BY ... ORDER BY ... frame). A value: each method returns
// a new specification.
struct WindowSpec {
  std::vector<Expr> partition_by;
  std::vector<OrderTerm> order_by;
  std::optional<WindowFrame> frame;

  template <typename... E>
  WindowSpec PartitionBy(const E&... exprs) const {
    WindowSpec next = *this;
    (next.partition_by.push_back(exprs), ...);
    return next;
  }
  template <typename... T>
  WindowSpec OrderBy(const T&... terms) const {
    WindowSpec next = *this;
    (next.order_by.push_back(OrderTerm(terms)), ...);
    return next;
  }
  WindowSpec Rows(FrameBound start, FrameBound end) const {
    WindowSpec next = *this;
    next.frame = WindowFrame{WindowFrame::Mode::kRows, start, end};
    return next;
  }
  WindowSpec Range(FrameBound start, FrameBound end) const {
    WindowSpec next = *this;
    next.frame = WindowFrame{WindowFrame::Mode::kRange, start, end};
    return next;
  }
};

inline WindowSpec Window() { return WindowSpec(); }

// A call to a SQL function. Converts to Expr; an aggregate can be made
// DISTINCT, filtered, or turned into a window function.
template <typename T = void>
class FunctionCall : public std::conditional_t<std::is_void_v<T>, Expr, TypedExpr<T>> {
  using Base = std::conditional_t<std::is_void_v<T>, Expr, TypedExpr<T>>;

 public:
  explicit FunctionCall(Expr call) : Base(call.node_ptr()) {}

  // name(DISTINCT args).
  FunctionCall Distinct() const { return FunctionCall(WithFlag(kDistinct)); }
  // name(args) FILTER (WHERE condition): aggregates only.
  FunctionCall Filter(const Expr& condition) const;
  // name(args) OVER (window).
  Base Over(const WindowSpec& window) const;

 private:
  Expr WithFlag(ExprFlag flag) const;
};

Expr MakeWindow(const Expr& function, const WindowSpec& window);
Expr WithFunctionFlag(const Expr& call, ExprFlag flag);
Expr WithFunctionFilter(const Expr& call, const Expr& condition);

template <typename T>
FunctionCall<T> FunctionCall<T>::Filter(const Expr& condition) const {
  return FunctionCall(WithFunctionFilter(*this, condition));
}
template <typename T>
typename FunctionCall<T>::Base FunctionCall<T>::Over(const WindowSpec& window) const {
  return Base(MakeWindow(*this, window).node_ptr());
}
template <typename T>
Expr FunctionCall<T>::WithFlag(ExprFlag flag) const {
  return WithFunctionFlag(*this, flag);
}

// The transaction's current timestamp: CURRENT_TIMESTAMP on PostgreSQL, on
// SQLite the UTC text DuoORM stores timestamps as (2026-11-25 02:30:00.123000).
Expr CurrentTimestamp();

}  // namespace duo::sql

namespace duo::func {

using ::duo::sql::Expr;
using ::duo::sql::FunctionCall;

// Any function by name; `name` is emitted as written (it is not a value).
template <typename... Args>
FunctionCall<> Call(std::string name, Args&&... args) {
  return FunctionCall<>(
      sql::MakeFunction(std::move(name), {sql::AsExpr(std::forward<Args>(args))...}));
}

// Aggregates. Sum and Avg keep the C++ type of a typed argument where SQL
// does (sum of integers is an integer); Avg is always floating point.
FunctionCall<int64_t> Count();  // count(*)
FunctionCall<int64_t> Count(const Expr& expr);
template <typename E>
auto Sum(const E& expr) {
  if constexpr (std::is_same_v<E, Expr>) {
    return FunctionCall<>(sql::MakeFunction("sum", {expr}));
  } else {
    return FunctionCall<typename sql::StripOptional<typename E::ValueType>::type>(
        sql::MakeFunction("sum", {expr}));
  }
}
template <typename E>
auto Max(const E& expr) {
  if constexpr (std::is_same_v<E, Expr>) {
    return FunctionCall<>(sql::MakeFunction("max", {expr}));
  } else {
    return FunctionCall<typename sql::StripOptional<typename E::ValueType>::type>(
        sql::MakeFunction("max", {expr}));
  }
}
template <typename E>
auto Min(const E& expr) {
  if constexpr (std::is_same_v<E, Expr>) {
    return FunctionCall<>(sql::MakeFunction("min", {expr}));
  } else {
    return FunctionCall<typename sql::StripOptional<typename E::ValueType>::type>(
        sql::MakeFunction("min", {expr}));
  }
}
FunctionCall<double> Avg(const Expr& expr);
FunctionCall<std::string> Lower(const Expr& expr);
FunctionCall<std::string> Upper(const Expr& expr);
FunctionCall<int64_t> Length(const Expr& expr);
inline Expr Now() { return sql::CurrentTimestamp(); }

// Window functions (use with .Over(...)).
FunctionCall<int64_t> RowNumber();
FunctionCall<int64_t> Rank();
FunctionCall<int64_t> DenseRank();
// lag(expr, offset), lead(expr, offset): the value `offset` rows before or
// after, NULL past the partition's edge.
FunctionCall<> Lag(const Expr& expr, int64_t offset = 1);
FunctionCall<> Lead(const Expr& expr, int64_t offset = 1);
FunctionCall<> FirstValue(const Expr& expr);
FunctionCall<> LastValue(const Expr& expr);

}  // namespace duo::func

#endif  // DUO_SQL_FUNCTIONS_H_
