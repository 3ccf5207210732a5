// SQL expressions: the nodes of DuoORM's statement IR.
//
// An expression is an immutable tree of ExprNode, shared by reference
// counting: combining expressions never copies their subtrees, and an
// expression can be reused in any number of statements and threads. Every
// C++ value that enters an expression becomes a bound parameter.
//
// Expr is an expression whose SQL type C++ does not know. TypedExpr<T>
// carries the C++ type of its values, and its operators only accept operands
// of a compatible category, so that
//
//   orders.Col<int64_t>("id") == "seven"
//
// does not compile, while `orders.Col<int64_t>("id") == 7` does.
//
//   using duo::sql::Table;
//   Table orders("orders");
//   auto status = orders.Col<std::string>("status");
//   auto total = orders.Col<double>("total_amount");
//   duo::sql::Expr where = status.In({"completed", "shipped"}) && total > 100;

#ifndef DUO_SQL_EXPR_H_
#define DUO_SQL_EXPR_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "duo/sql/types.h"
#include "duo/sql/value.h"

namespace duo::sql {

class Select;
struct SelectData;
struct WindowSpec;

enum class ExprKind : uint8_t {
  kColumn,            // qualifier.name (qualifier may be empty)
  kStar,              // qualifier.* or *
  kParam,             // a bound value
  kNull,              // the NULL literal
  kUnary,             // op args[0]
  kBinary,            // args[0] op args[1]
  kAnd,               // args[0] AND args[1] AND ...
  kOr,                // args[0] OR args[1] OR ...
  kIsNull,            // args[0] IS [NOT] NULL
  kIn,                // args[0] [NOT] IN (args[1..])
  kInSubquery,        // args[0] [NOT] IN (subquery)
  kBetween,           // args[0] [NOT] BETWEEN args[1] AND args[2]
  kLike,              // args[0] [NOT] LIKE/ILIKE args[1]
  kRegex,             // args[0] matches the regular expression args[1]
  kCase,              // CASE [operand] WHEN .. THEN .. [ELSE ..] END; see flags
  kCast,              // CAST(args[0] AS type)
  kFunction,          // name(args) [FILTER (WHERE filter)]
  kWindow,            // args[0] OVER (window)
  kExists,            // [NOT] EXISTS (subquery)
  kSubquery,          // (subquery) as a scalar
  kLabel,             // args[0] AS name
  kText,              // raw SQL with named parameters; see TextParts
  kExcluded,          // the row proposed for insertion, in ON CONFLICT DO UPDATE
  kCurrentTimestamp,  // the transaction's timestamp, spelled per dialect
  // A JSON or array operator (op, duo/sql/json.h): args[0] the document or
  // array, then the path's steps (bound keys and indexes, kinds in name)
  // and/or the bound operand.
  kJson,
};

enum class ExprOp : uint8_t {
  kNone,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kConcat,
  kNot,
  kNegate,
  // kJson operators (duo/sql/json.h).
  kJsonText,       // the string at a path
  kJsonNumber,     // the number at a path
  kJsonHasKey,     // the object at a path has a key (the last step)
  kJsonContains,   // jsonb @>
  kArrayContains,  // array @> values
  kArrayOverlaps,  // array && values
  kArrayHas,       // value = ANY(array)
  kArrayLength,    // cardinality(array)
};

// Bits of ExprNode::flags.
enum ExprFlag : uint8_t {
  kNegated = 1 << 0,          // NOT IN, NOT LIKE, IS NOT NULL, NOT EXISTS, ...
  kCaseInsensitive = 1 << 1,  // ILIKE, ~*
  kDistinct = 1 << 2,         // count(DISTINCT x)
  kCaseOperand = 1 << 3,      // kCase: args[0] is the operand
  kCaseElse = 1 << 4,         // kCase: the last arg is the ELSE
  kFunctionStar = 1 << 5,     // count(*)
  kFilter = 1 << 6,           // kFunction: the last arg is the FILTER condition
};

// Raw SQL split around its named parameters: pieces[i] precedes the i-th
// parameter occurrence, whose name is names[i]; pieces has one more entry.
struct TextParts {
  std::vector<std::string> pieces;
  std::vector<std::string> names;
  // Names passed to Text::Bind that the text does not contain.
  std::vector<std::string> unknown_bindings;
};

class Expr;

// One immutable node. Fields a kind does not use stay empty. The shape hash
// covers everything but parameter values, so that two statements differing
// only in their values share one compiled form.
struct ExprNode {
  ExprKind kind;
  ExprOp op = ExprOp::kNone;
  uint8_t flags = 0;
  std::string name;       // column, function, label, excluded column
  std::string qualifier;  // table or alias of a column or star
  Value value;            // kParam
  SqlType type;           // kCast; for kColumn the declared type, if known
  std::vector<Expr> args;
  std::shared_ptr<const SelectData> subquery;
  std::shared_ptr<const WindowSpec> window;
  std::shared_ptr<const TextParts> text;
  size_t shape_hash = 0;

  bool has(ExprFlag flag) const { return (flags & flag) != 0; }
};

// Builds a node and computes its shape hash; the only way nodes are made.
std::shared_ptr<const ExprNode> MakeNode(ExprNode node);

struct OrderTerm;

// An expression of unknown SQL type. Copying shares the tree.
class Expr {
 public:
  static constexpr TypeCategory kCategory = TypeCategory::kAny;

  // An empty expression: only a placeholder, never valid in a statement.
  Expr() = default;
  explicit Expr(std::shared_ptr<const ExprNode> node) : node_(std::move(node)) {}

  bool empty() const { return node_ == nullptr; }
  const ExprNode& node() const { return *node_; }
  const std::shared_ptr<const ExprNode>& node_ptr() const { return node_; }

  // `expr AS name`, for select lists.
  Expr Label(std::string name) const;
  OrderTerm Asc() const;
  OrderTerm Desc() const;

  Expr IsNull() const;
  Expr IsNotNull() const;

  // Structural equality: same shape and same bound values. (operator==
  // builds SQL instead.)
  bool SameAs(const Expr& other) const;

  // A one-line rendering for debugging, values inlined. Not executable SQL.
  std::string DebugString() const;

 private:
  std::shared_ptr<const ExprNode> node_;
};

template <typename T>
class TypedExpr;

// Whether a value or expression V may meet an expression of C++ type T.
template <typename T, typename V>
concept MatchesCategoryOf = (std::is_base_of_v<Expr, std::remove_cvref_t<V>> ||
                             ValueTraits<std::decay_t<V>>::kSupported) &&
                            Compatible(ValueTraits<T>::kCategory, [] {
                              if constexpr (std::is_base_of_v<Expr, std::remove_cvref_t<V>>) {
                                return std::remove_cvref_t<V>::kCategory;
                              } else {
                                return ValueTraits<std::decay_t<V>>::kCategory;
                              }
                            }());

template <typename T>
concept IsTextType = ValueTraits<T>::kCategory == TypeCategory::kText;

// An expression whose values are of C++ type T (std::optional<T> if NULL is
// possible). Converts to Expr; operators check operand categories.
template <typename T>
class TypedExpr : public Expr {
 public:
  using ValueType = T;
  static constexpr TypeCategory kCategory = ValueTraits<T>::kCategory;

  TypedExpr() = default;
  explicit TypedExpr(std::shared_ptr<const ExprNode> node) : Expr(std::move(node)) {}
  // Asserts the type of an untyped expression, for example a function called
  // by name: TypedExpr<int64_t>(Func("length", name)).
  explicit TypedExpr(const Expr& expr) : Expr(expr) {}

  TypedExpr Label(std::string name) const { return TypedExpr(Expr::Label(std::move(name))); }

  // Member spellings of the free functions below (In, Between, Like, ...),
  // with the same category checks.
  template <typename V>
  requires MatchesCategoryOf<T, V> TypedExpr<bool> In(std::initializer_list<V> values)
  const;
  template <typename V>
  requires MatchesCategoryOf<T, V> TypedExpr<bool> In(const std::vector<V>& values)
  const;
  template <typename V>
  requires MatchesCategoryOf<T, V> TypedExpr<bool> NotIn(std::initializer_list<V> values)
  const;
  template <typename V>
  requires MatchesCategoryOf<T, V> TypedExpr<bool> NotIn(const std::vector<V>& values)
  const;
  TypedExpr<bool> In(const Select& query) const;
  TypedExpr<bool> NotIn(const Select& query) const;
  template <typename L, typename H>
  requires MatchesCategoryOf<T, L> && MatchesCategoryOf<T, H> TypedExpr<bool> Between(L&& low,
                                                                                      H&& high)
  const;
  template <typename P>
  requires IsTextType<T> && MatchesCategoryOf<T, P> TypedExpr<bool> Like(P&& pattern)
  const;
  template <typename P>
  requires IsTextType<T> && MatchesCategoryOf<T, P> TypedExpr<bool> NotLike(P&& pattern)
  const;
  template <typename P>
  requires IsTextType<T> && MatchesCategoryOf<T, P> TypedExpr<bool> ILike(P&& pattern)
  const;
  template <typename P>
  requires IsTextType<T> && MatchesCategoryOf<T, P> TypedExpr<bool> NotILike(P&& pattern)
  const;
  template <typename P>
  requires IsTextType<T> && MatchesCategoryOf<T, P> TypedExpr<bool> Matches(
      P&& pattern, bool case_insensitive = false)
  const;

  // Substring tests on literal text: `%`, `_` and `\` in `text` match
  // themselves (the text is escaped and bound), so Contains("50%") finds
  // "50%" and nothing else. The I-forms ignore case.
  TypedExpr<bool> Contains(absl::string_view text) const requires IsTextType<T> {
    return TextMatch(text, true, true, false);
  }
  TypedExpr<bool> IContains(absl::string_view text) const requires IsTextType<T> {
    return TextMatch(text, true, true, true);
  }
  TypedExpr<bool> StartsWith(absl::string_view text) const requires IsTextType<T> {
    return TextMatch(text, false, true, false);
  }
  TypedExpr<bool> IStartsWith(absl::string_view text) const requires IsTextType<T> {
    return TextMatch(text, false, true, true);
  }
  TypedExpr<bool> EndsWith(absl::string_view text) const requires IsTextType<T> {
    return TextMatch(text, true, false, false);
  }
  TypedExpr<bool> IEndsWith(absl::string_view text) const requires IsTextType<T> {
    return TextMatch(text, true, false, true);
  }

 private:
  TypedExpr<bool> TextMatch(absl::string_view text, bool any_before, bool any_after,
                            bool case_insensitive) const;
};

// `operand LIKE pattern` where the pattern is `text` taken literally, with
// `%` before and/or after it; what Contains, StartsWith and EndsWith build.
Expr MakeTextMatch(const Expr& operand, absl::string_view text, bool any_before, bool any_after,
                   bool case_insensitive);

// Expression categories and conversions used by the operators.
// Concepts rather than plain booleans, so that constrained specializations
// can be ordered by subsumption.
template <typename T>
concept ExprType = std::is_base_of_v<Expr, std::remove_cvref_t<T>>;
template <typename T>
concept TypedExprType = ExprType<T> && !std::is_same_v<std::remove_cvref_t<T>, Expr>;
template <typename T>
constexpr bool kIsExpr = ExprType<T>;

template <typename T>
concept Operand = kIsExpr<T> || ValueTraits<std::decay_t<T>>::kSupported;

template <typename T>
constexpr TypeCategory CategoryOf() {
  if constexpr (kIsExpr<T>) {
    return std::remove_cvref_t<T>::kCategory;
  } else {
    return ValueTraits<std::decay_t<T>>::kCategory;
  }
}

// A comparison of L and R, where at least one is an expression.
template <typename L, typename R>
concept Comparable = Operand<L> && Operand<R> &&
    (kIsExpr<L> || kIsExpr<R>)&&Compatible(CategoryOf<L>(), CategoryOf<R>());

// Wraps a C++ value as a bound parameter (or NULL); passes expressions on.
Expr Param(Value value);
Expr Null();

template <Operand T>
Expr AsExpr(T&& operand) {
  if constexpr (kIsExpr<T>) {
    return static_cast<const Expr&>(operand);
  } else {
    return Param(Value(std::forward<T>(operand)));
  }
}

Expr MakeBinary(ExprOp op, Expr left, Expr right);
Expr MakeUnary(ExprOp op, Expr operand);
Expr MakeIsNull(Expr operand, bool negated);
// kAnd / kOr of the non-empty terms, flattening nested ones; a single term
// is returned as is.
Expr MakeJunction(ExprKind kind, std::vector<Expr> terms);

// Comparisons. Comparing with a NULL value (std::nullopt, or an empty
// optional) renders IS NULL / IS NOT NULL, as SQL's `= NULL` never holds.
template <typename L, typename R>
requires Comparable<L, R> TypedExpr<bool> Compare(ExprOp op, L&& left, R&& right) {
  Expr l = AsExpr(std::forward<L>(left));
  Expr r = AsExpr(std::forward<R>(right));
  const bool l_null = l.node().kind == ExprKind::kNull ||
                      (l.node().kind == ExprKind::kParam && l.node().value.is_null());
  const bool r_null = r.node().kind == ExprKind::kNull ||
                      (r.node().kind == ExprKind::kParam && r.node().value.is_null());
  if ((op == ExprOp::kEq || op == ExprOp::kNe) && (l_null || r_null)) {
    return TypedExpr<bool>(MakeIsNull(r_null ? l : r, op == ExprOp::kNe));
  }
  return TypedExpr<bool>(MakeBinary(op, std::move(l), std::move(r)));
}

template <typename L, typename R>
requires Comparable<L, R> TypedExpr<bool>
operator==(L&& l, R&& r) { return Compare(ExprOp::kEq, std::forward<L>(l), std::forward<R>(r)); }
template <typename L, typename R>
requires Comparable<L, R> TypedExpr<bool>
operator!=(L&& l, R&& r) { return Compare(ExprOp::kNe, std::forward<L>(l), std::forward<R>(r)); }
template <typename L, typename R>
requires Comparable<L, R> TypedExpr<bool>
operator<(L&& l, R&& r) { return Compare(ExprOp::kLt, std::forward<L>(l), std::forward<R>(r)); }
template <typename L, typename R>
requires Comparable<L, R> TypedExpr<bool>
operator<=(L&& l, R&& r) { return Compare(ExprOp::kLe, std::forward<L>(l), std::forward<R>(r)); }
template <typename L, typename R>
requires Comparable<L, R> TypedExpr<bool>
operator>(L&& l, R&& r) { return Compare(ExprOp::kGt, std::forward<L>(l), std::forward<R>(r)); }
template <typename L, typename R>
requires Comparable<L, R> TypedExpr<bool>
operator>=(L&& l, R&& r) { return Compare(ExprOp::kGe, std::forward<L>(l), std::forward<R>(r)); }

// Arithmetic: numeric (or untyped) operands. The result is typed when both
// sides are: double if either is floating point, int64_t otherwise.
template <typename T>
struct OperandValue {
  using type = typename StripOptional<std::decay_t<T>>::type;
};
template <ExprType T>
struct OperandValue<T> {
  using type = void;
};
template <TypedExprType T>
struct OperandValue<T> {
  using type = typename StripOptional<typename std::remove_cvref_t<T>::ValueType>::type;
};

template <typename L, typename R>
concept Arithmetic = Operand<L> && Operand<R> &&
                     (kIsExpr<L> || kIsExpr<R>)&&(CategoryOf<L>() == TypeCategory::kNumeric ||
                                                  CategoryOf<L>() == TypeCategory::kAny) &&
                     (CategoryOf<R>() == TypeCategory::kNumeric ||
                      CategoryOf<R>() == TypeCategory::kAny);

template <typename L, typename R>
auto MakeArithmetic(ExprOp op, L&& l, R&& r) {
  using LV = typename OperandValue<L>::type;
  using RV = typename OperandValue<R>::type;
  Expr result = MakeBinary(op, AsExpr(std::forward<L>(l)), AsExpr(std::forward<R>(r)));
  if constexpr (std::is_void_v<LV> || std::is_void_v<RV>) {
    return result;
  } else if constexpr (std::is_floating_point_v<LV> || std::is_floating_point_v<RV>) {
    return TypedExpr<double>(result);
  } else {
    return TypedExpr<int64_t>(result);
  }
}

template <typename L, typename R>
requires Arithmetic<L, R>
auto operator+(L&& l, R&& r) {
  return MakeArithmetic(ExprOp::kAdd, std::forward<L>(l), std::forward<R>(r));
}
template <typename L, typename R>
requires Arithmetic<L, R>
auto operator-(L&& l, R&& r) {
  return MakeArithmetic(ExprOp::kSub, std::forward<L>(l), std::forward<R>(r));
}
template <typename L, typename R>
requires Arithmetic<L, R>
auto operator*(L&& l, R&& r) {
  return MakeArithmetic(ExprOp::kMul, std::forward<L>(l), std::forward<R>(r));
}
template <typename L, typename R>
requires Arithmetic<L, R>
auto operator/(L&& l, R&& r) {
  return MakeArithmetic(ExprOp::kDiv, std::forward<L>(l), std::forward<R>(r));
}
template <typename L, typename R>
requires Arithmetic<L, R>
auto operator%(L&& l, R&& r) {
  return MakeArithmetic(ExprOp::kMod, std::forward<L>(l), std::forward<R>(r));
}
template <typename T>
requires(kIsExpr<T> && (CategoryOf<T>() == TypeCategory::kNumeric ||
                        CategoryOf<T>() == TypeCategory::kAny)) std::remove_cvref_t<T>
operator-(T&& operand) {
  return std::remove_cvref_t<T>(MakeUnary(ExprOp::kNegate, operand).node_ptr());
}

// Boolean connectives over conditions (bool or untyped expressions).
template <typename T>
concept Condition = kIsExpr<T> &&
    (CategoryOf<T>() == TypeCategory::kBool || CategoryOf<T>() == TypeCategory::kAny);

template <typename L, typename R>
requires Condition<L> && Condition<R> TypedExpr<bool>
operator&&(const L& l, const R& r) { return TypedExpr<bool>(MakeJunction(ExprKind::kAnd, {l, r})); }
template <typename L, typename R>
requires Condition<L> && Condition<R> TypedExpr<bool>
operator||(const L& l, const R& r) { return TypedExpr<bool>(MakeJunction(ExprKind::kOr, {l, r})); }
template <typename T>
requires Condition<T> TypedExpr<bool>
operator!(const T& operand) { return TypedExpr<bool>(MakeUnary(ExprOp::kNot, operand)); }

// AND / OR of any number of conditions; empty operands are skipped, so a
// filter can be assembled piece by piece. And({}) is an empty Expr.
Expr And(std::vector<Expr> conditions);
Expr Or(std::vector<Expr> conditions);
TypedExpr<bool> Not(const Expr& condition);

// `left || right` in SQL: string concatenation.
TypedExpr<std::string> Concat(const Expr& left, const Expr& right);

// Membership, ranges and patterns. The typed forms check the categories of
// the values against the expression's.
template <typename E, typename V>
concept MatchesCategory = kIsExpr<E> && Operand<V> && Compatible(CategoryOf<E>(), CategoryOf<V>());

Expr MakeIn(Expr operand, std::vector<Expr> items, bool negated);
Expr MakeInSubquery(Expr operand, const Select& query, bool negated);
Expr MakeBetween(Expr operand, Expr low, Expr high, bool negated);
Expr MakeLike(Expr operand, Expr pattern, bool case_insensitive, bool negated);
Expr MakeRegex(Expr operand, Expr pattern, bool case_insensitive, bool negated);

template <typename E, typename V>
requires MatchesCategory<E, V> TypedExpr<bool> In(const E& operand, const std::vector<V>& values) {
  std::vector<Expr> items;
  items.reserve(values.size());
  for (const V& value : values) items.push_back(AsExpr(value));
  return TypedExpr<bool>(MakeIn(operand, std::move(items), /*negated=*/false));
}
template <typename E, typename V>
requires MatchesCategory<E, V> TypedExpr<bool> In(const E& operand,
                                                  std::initializer_list<V> values) {
  return In(operand, std::vector<V>(values));
}
template <typename E, typename V>
requires MatchesCategory<E, V> TypedExpr<bool> NotIn(const E& operand,
                                                     const std::vector<V>& values) {
  std::vector<Expr> items;
  items.reserve(values.size());
  for (const V& value : values) items.push_back(AsExpr(value));
  return TypedExpr<bool>(MakeIn(operand, std::move(items), /*negated=*/true));
}
template <typename E, typename V>
requires MatchesCategory<E, V> TypedExpr<bool> NotIn(const E& operand,
                                                     std::initializer_list<V> values) {
  return NotIn(operand, std::vector<V>(values));
}
TypedExpr<bool> In(const Expr& operand, const Select& query);
TypedExpr<bool> NotIn(const Expr& operand, const Select& query);

template <typename E, typename L, typename H>
requires MatchesCategory<E, L> && MatchesCategory<E, H> TypedExpr<bool> Between(const E& operand,
                                                                                L&& low, H&& high) {
  return TypedExpr<bool>(MakeBetween(operand, AsExpr(std::forward<L>(low)),
                                     AsExpr(std::forward<H>(high)), /*negated=*/false));
}

template <typename E>
concept TextOperand = kIsExpr<E> &&
    (CategoryOf<E>() == TypeCategory::kText || CategoryOf<E>() == TypeCategory::kAny);

// SQL LIKE patterns (% and _; backslash escapes). Case-sensitive on both
// databases; ILike is the case-insensitive form (PostgreSQL's ILIKE, and on
// SQLite lower(x) LIKE lower(pattern)).
template <typename E, typename P>
requires TextOperand<E> && MatchesCategory<E, P> TypedExpr<bool> Like(const E& operand,
                                                                      P&& pattern) {
  return TypedExpr<bool>(MakeLike(operand, AsExpr(std::forward<P>(pattern)), false, false));
}
template <typename E, typename P>
requires TextOperand<E> && MatchesCategory<E, P> TypedExpr<bool> NotLike(const E& operand,
                                                                         P&& pattern) {
  return TypedExpr<bool>(MakeLike(operand, AsExpr(std::forward<P>(pattern)), false, true));
}
template <typename E, typename P>
requires TextOperand<E> && MatchesCategory<E, P> TypedExpr<bool> ILike(const E& operand,
                                                                       P&& pattern) {
  return TypedExpr<bool>(MakeLike(operand, AsExpr(std::forward<P>(pattern)), true, false));
}
template <typename E, typename P>
requires TextOperand<E> && MatchesCategory<E, P> TypedExpr<bool> NotILike(const E& operand,
                                                                          P&& pattern) {
  return TypedExpr<bool>(MakeLike(operand, AsExpr(std::forward<P>(pattern)), true, true));
}
// Regular-expression match: PostgreSQL's ~ (~* ignoring case); on SQLite the
// REGEXP operator, whose regexp() function DuoORM's SQLite driver provides
// (RE2 syntax).
template <typename E, typename P>
requires TextOperand<E> && MatchesCategory<E, P> TypedExpr<bool> Matches(
    const E& operand, P&& pattern, bool case_insensitive = false) {
  return TypedExpr<bool>(
      MakeRegex(operand, AsExpr(std::forward<P>(pattern)), case_insensitive, false));
}

// Escapes %, _ and \ so that `text` matches literally inside a LIKE pattern,
// for Contains / StartsWith-style filters built from user input.
std::string EscapeLike(absl::string_view text);

// CASE expressions:
//   Case().When(total > 100, "big").When(total > 10, "medium").Else("small")
class CaseBuilder {
 public:
  CaseBuilder() = default;
  // CASE operand WHEN value THEN ...
  explicit CaseBuilder(Expr operand) : operand_(std::move(operand)) {}

  // A condition, or with an operand, a value compared with it.
  template <Operand C, Operand V>
  CaseBuilder When(C&& condition, V&& result) const {
    CaseBuilder next = *this;
    next.whens_.push_back(AsExpr(std::forward<C>(condition)));
    next.whens_.push_back(AsExpr(std::forward<V>(result)));
    return next;
  }
  template <Operand V>
  Expr Else(V&& result) const {
    return Build(AsExpr(std::forward<V>(result)));
  }
  // CASE without ELSE (NULL when nothing matches).
  Expr End() const { return Build(Expr()); }

 private:
  Expr Build(Expr else_result) const;

  Expr operand_;
  std::vector<Expr> whens_;
};
inline CaseBuilder Case() { return CaseBuilder(); }
inline CaseBuilder Case(const Expr& operand) { return CaseBuilder(operand); }

// CAST(expr AS type).
Expr Cast(const Expr& operand, SqlType type);
template <typename T>
TypedExpr<T> Cast(const Expr& operand) {
  return TypedExpr<T>(Cast(operand, ValueTraits<T>::DefaultType()));
}

// name(args...): any SQL function; duo/sql/functions.h names the common ones.
Expr MakeFunction(std::string name, std::vector<Expr> args);

// COALESCE(a, b, ...).
template <Operand... Args>
Expr Coalesce(Args&&... args) {
  return MakeFunction("coalesce", {AsExpr(std::forward<Args>(args))...});
}

// A column reference; `qualifier` is a table name or alias (may be empty).
Expr ColumnRef(std::string qualifier, std::string name, SqlType type = {});
// `qualifier.*`, or `*` when qualifier is empty.
Expr Star(std::string qualifier = "");

// EXCLUDED.column in an upsert's DO UPDATE: the value the insert proposed.
Expr Excluded(std::string column);

// ORDER BY terms.
struct OrderTerm {
  enum class Nulls : uint8_t { kDefault, kFirst, kLast };
  Expr expr;
  bool descending = false;
  Nulls nulls = Nulls::kDefault;

  OrderTerm NullsFirst() const {
    OrderTerm term = *this;
    term.nulls = Nulls::kFirst;
    return term;
  }
  OrderTerm NullsLast() const {
    OrderTerm term = *this;
    term.nulls = Nulls::kLast;
    return term;
  }
  // An expression used as a term orders ascending.
  OrderTerm(Expr e) : expr(std::move(e)) {}
  OrderTerm(Expr e, bool desc, Nulls n = Nulls::kDefault)
      : expr(std::move(e)), descending(desc), nulls(n) {}
};

template <typename T>
template <typename V>
requires MatchesCategoryOf<T, V> TypedExpr<bool> TypedExpr<T>::In(std::initializer_list<V> values)
const { return ::duo::sql::In(*this, values); }
template <typename T>
template <typename V>
requires MatchesCategoryOf<T, V> TypedExpr<bool> TypedExpr<T>::In(const std::vector<V>& values)
const { return ::duo::sql::In(*this, values); }
template <typename T>
template <typename V>
requires MatchesCategoryOf<T, V> TypedExpr<bool> TypedExpr<T>::NotIn(
    std::initializer_list<V> values)
const { return ::duo::sql::NotIn(*this, values); }
template <typename T>
template <typename V>
requires MatchesCategoryOf<T, V> TypedExpr<bool> TypedExpr<T>::NotIn(const std::vector<V>& values)
const { return ::duo::sql::NotIn(*this, values); }
template <typename T>
TypedExpr<bool> TypedExpr<T>::In(const Select& query) const {
  return ::duo::sql::In(*this, query);
}
template <typename T>
TypedExpr<bool> TypedExpr<T>::NotIn(const Select& query) const {
  return ::duo::sql::NotIn(*this, query);
}
template <typename T>
template <typename L, typename H>
requires MatchesCategoryOf<T, L> && MatchesCategoryOf<T, H> TypedExpr<bool> TypedExpr<T>::Between(
    L&& low, H&& high)
const { return ::duo::sql::Between(*this, std::forward<L>(low), std::forward<H>(high)); }
template <typename T>
TypedExpr<bool> TypedExpr<T>::TextMatch(absl::string_view text, bool any_before, bool any_after,
                                        bool case_insensitive) const {
  return TypedExpr<bool>(MakeTextMatch(*this, text, any_before, any_after, case_insensitive));
}

template <typename T>
template <typename P>
requires IsTextType<T> && MatchesCategoryOf<T, P> TypedExpr<bool> TypedExpr<T>::Like(P&& pattern)
const { return ::duo::sql::Like(*this, std::forward<P>(pattern)); }
template <typename T>
template <typename P>
requires IsTextType<T> && MatchesCategoryOf<T, P> TypedExpr<bool> TypedExpr<T>::NotLike(P&& pattern)
const { return ::duo::sql::NotLike(*this, std::forward<P>(pattern)); }
template <typename T>
template <typename P>
requires IsTextType<T> && MatchesCategoryOf<T, P> TypedExpr<bool> TypedExpr<T>::ILike(P&& pattern)
const { return ::duo::sql::ILike(*this, std::forward<P>(pattern)); }
template <typename T>
template <typename P>
requires IsTextType<T> && MatchesCategoryOf<T, P> TypedExpr<bool> TypedExpr<T>::NotILike(
    P&& pattern)
const { return ::duo::sql::NotILike(*this, std::forward<P>(pattern)); }
template <typename T>
template <typename P>
requires IsTextType<T> && MatchesCategoryOf<T, P> TypedExpr<bool> TypedExpr<T>::Matches(
    P&& pattern, bool case_insensitive)
const { return ::duo::sql::Matches(*this, std::forward<P>(pattern), case_insensitive); }

// Hashes and compares the shape (and, for SameAs, the values) of trees.
size_t ShapeHash(const std::vector<Expr>& exprs);
size_t ShapeHash(const std::vector<OrderTerm>& terms);

}  // namespace duo::sql

#endif  // DUO_SQL_EXPR_H_
