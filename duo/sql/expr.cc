#include "duo/sql/expr.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/sql/functions.h"
#include "duo/sql/select.h"
#include "duo/sql/shape.h"

namespace duo::sql {
namespace {

size_t WindowHash(const WindowSpec& window) {
  size_t hash = absl::HashOf(ShapeHash(window.partition_by), ShapeHash(window.order_by),
                             window.frame.has_value());
  if (window.frame) {
    const WindowFrame& frame = *window.frame;
    hash = absl::HashOf(hash, frame.mode, frame.start.kind, frame.start.offset, frame.end.kind,
                        frame.end.offset);
  }
  return hash;
}

size_t NodeHash(const ExprNode& node) {
  size_t hash = absl::HashOf(node.kind, node.op, node.flags, node.name, node.qualifier, node.type,
                             node.args.size());
  for (const Expr& arg : node.args) {
    hash = absl::HashOf(hash, arg.empty() ? size_t{0} : arg.node().shape_hash);
  }
  if (node.subquery) hash = absl::HashOf(hash, ShapeHash(*node.subquery));
  if (node.window) hash = absl::HashOf(hash, WindowHash(*node.window));
  if (node.text) {
    hash = absl::HashOf(hash, node.text->pieces, node.text->names, node.text->unknown_bindings);
  }
  return hash;
}

void AppendDebug(const Expr& expr, std::string* out);

void AppendDebugList(const std::vector<Expr>& exprs, size_t from, std::string* out) {
  for (size_t i = from; i < exprs.size(); ++i) {
    out->push_back(' ');
    AppendDebug(exprs[i], out);
  }
}

absl::string_view OpName(ExprOp op) {
  switch (op) {
    case ExprOp::kEq:
      return "=";
    case ExprOp::kNe:
      return "<>";
    case ExprOp::kLt:
      return "<";
    case ExprOp::kLe:
      return "<=";
    case ExprOp::kGt:
      return ">";
    case ExprOp::kGe:
      return ">=";
    case ExprOp::kAdd:
      return "+";
    case ExprOp::kSub:
      return "-";
    case ExprOp::kMul:
      return "*";
    case ExprOp::kDiv:
      return "/";
    case ExprOp::kMod:
      return "%";
    case ExprOp::kConcat:
      return "||";
    case ExprOp::kNot:
      return "not";
    case ExprOp::kNegate:
      return "neg";
    case ExprOp::kJsonText:
      return "json-text";
    case ExprOp::kJsonNumber:
      return "json-number";
    case ExprOp::kJsonHasKey:
      return "json-has-key";
    case ExprOp::kJsonContains:
      return "json-contains";
    case ExprOp::kArrayContains:
      return "array-contains";
    case ExprOp::kArrayOverlaps:
      return "array-overlaps";
    case ExprOp::kArrayHas:
      return "array-has";
    case ExprOp::kArrayLength:
      return "array-length";
    case ExprOp::kNone:
      return "?";
  }
  return "?";
}

// An S-expression: unambiguous for logs and test failures, and plainly not
// SQL, so nobody is tempted to execute it.
void AppendDebug(const Expr& expr, std::string* out) {
  if (expr.empty()) {
    out->append("<empty>");
    return;
  }
  const ExprNode& node = expr.node();
  const char* negated = node.has(kNegated) ? "not-" : "";
  switch (node.kind) {
    case ExprKind::kColumn:
      absl::StrAppend(out, node.qualifier, node.qualifier.empty() ? "" : ".", node.name);
      return;
    case ExprKind::kStar:
      absl::StrAppend(out, node.qualifier, node.qualifier.empty() ? "" : ".", "*");
      return;
    case ExprKind::kParam:
      absl::StrAppend(out, "$", node.value.DebugString());
      return;
    case ExprKind::kNull:
      out->append("NULL");
      return;
    case ExprKind::kUnary:
    case ExprKind::kBinary:
      absl::StrAppend(out, "(", OpName(node.op));
      break;
    case ExprKind::kAnd:
      out->append("(and");
      break;
    case ExprKind::kOr:
      out->append("(or");
      break;
    case ExprKind::kIsNull:
      absl::StrAppend(out, "(", negated, "null?");
      break;
    case ExprKind::kIn:
      absl::StrAppend(out, "(", negated, "in");
      break;
    case ExprKind::kInSubquery:
      absl::StrAppend(out, "(", negated, "in-select");
      break;
    case ExprKind::kBetween:
      absl::StrAppend(out, "(", negated, "between");
      break;
    case ExprKind::kLike:
      absl::StrAppend(out, "(", negated, node.has(kCaseInsensitive) ? "ilike" : "like");
      break;
    case ExprKind::kRegex:
      absl::StrAppend(out, "(", negated, node.has(kCaseInsensitive) ? "iregex" : "regex");
      break;
    case ExprKind::kCase:
      out->append("(case");
      break;
    case ExprKind::kCast:
      absl::StrAppend(out, "(cast");
      break;
    case ExprKind::kFunction:
      absl::StrAppend(out, "(", node.name, node.has(kDistinct) ? " distinct" : "",
                      node.has(kFunctionStar) ? " *" : "", node.has(kFilter) ? " filter" : "");
      break;
    case ExprKind::kWindow:
      out->append("(over");
      break;
    case ExprKind::kExists:
      absl::StrAppend(out, "(", negated, "exists select)");
      return;
    case ExprKind::kSubquery:
      out->append("(select)");
      return;
    case ExprKind::kLabel:
      absl::StrAppend(out, "(as ", node.name);
      break;
    case ExprKind::kText:
      absl::StrAppend(out, "(text \"", absl::StrJoin(node.text->pieces, "?"), "\"");
      break;
    case ExprKind::kExcluded:
      absl::StrAppend(out, "excluded.", node.name);
      return;
    case ExprKind::kCurrentTimestamp:
      out->append("current_timestamp");
      return;
    case ExprKind::kJson:
      absl::StrAppend(out, "(", OpName(node.op), node.name.empty() ? "" : " ", node.name);
      break;
  }
  AppendDebugList(node.args, 0, out);
  out->push_back(')');
}

}  // namespace

std::shared_ptr<const ExprNode> MakeNode(ExprNode node) {
  node.shape_hash = NodeHash(node);
  return std::make_shared<const ExprNode>(std::move(node));
}

Expr Expr::Label(std::string name) const {
  return Expr(MakeNode({.kind = ExprKind::kLabel, .name = std::move(name), .args = {*this}}));
}

OrderTerm Expr::Asc() const { return OrderTerm(*this, false); }
OrderTerm Expr::Desc() const { return OrderTerm(*this, true); }
Expr Expr::IsNull() const { return MakeIsNull(*this, false); }
Expr Expr::IsNotNull() const { return MakeIsNull(*this, true); }

std::string Expr::DebugString() const {
  std::string out;
  AppendDebug(*this, &out);
  return out;
}

Expr Param(Value value) {
  if (value.is_null()) return Null();
  return Expr(MakeNode({.kind = ExprKind::kParam, .value = std::move(value)}));
}

Expr Null() {
  // One shared node: NULL literals are frequent and all alike.
  static const auto* const null_node =
      new std::shared_ptr<const ExprNode>(MakeNode({.kind = ExprKind::kNull}));
  return Expr(*null_node);
}

Expr MakeBinary(ExprOp op, Expr left, Expr right) {
  return Expr(
      MakeNode({.kind = ExprKind::kBinary, .op = op, .args = {std::move(left), std::move(right)}}));
}

Expr MakeUnary(ExprOp op, Expr operand) {
  return Expr(MakeNode({.kind = ExprKind::kUnary, .op = op, .args = {std::move(operand)}}));
}

Expr MakeIsNull(Expr operand, bool negated) {
  return Expr(MakeNode({.kind = ExprKind::kIsNull,
                        .flags = static_cast<uint8_t>(negated ? kNegated : 0),
                        .args = {std::move(operand)}}));
}

Expr MakeJunction(ExprKind kind, std::vector<Expr> terms) {
  std::vector<Expr> flat;
  flat.reserve(terms.size());
  for (Expr& term : terms) {
    if (term.empty()) continue;
    if (term.node().kind == kind) {
      flat.insert(flat.end(), term.node().args.begin(), term.node().args.end());
    } else {
      flat.push_back(std::move(term));
    }
  }
  if (flat.empty()) return Expr();
  if (flat.size() == 1) return flat.front();
  return Expr(MakeNode({.kind = kind, .args = std::move(flat)}));
}

Expr And(std::vector<Expr> conditions) {
  return MakeJunction(ExprKind::kAnd, std::move(conditions));
}
Expr Or(std::vector<Expr> conditions) { return MakeJunction(ExprKind::kOr, std::move(conditions)); }
TypedExpr<bool> Not(const Expr& condition) {
  return TypedExpr<bool>(MakeUnary(ExprOp::kNot, condition));
}

TypedExpr<std::string> Concat(const Expr& left, const Expr& right) {
  return TypedExpr<std::string>(MakeBinary(ExprOp::kConcat, left, right));
}

Expr MakeIn(Expr operand, std::vector<Expr> items, bool negated) {
  std::vector<Expr> args;
  args.reserve(items.size() + 1);
  args.push_back(std::move(operand));
  for (Expr& item : items) args.push_back(std::move(item));
  return Expr(MakeNode({.kind = ExprKind::kIn,
                        .flags = static_cast<uint8_t>(negated ? kNegated : 0),
                        .args = std::move(args)}));
}

Expr MakeInSubquery(Expr operand, const Select& query, bool negated) {
  return Expr(MakeNode({.kind = ExprKind::kInSubquery,
                        .flags = static_cast<uint8_t>(negated ? kNegated : 0),
                        .args = {std::move(operand)},
                        .subquery = query.data_ptr()}));
}

TypedExpr<bool> In(const Expr& operand, const Select& query) {
  return TypedExpr<bool>(MakeInSubquery(operand, query, false));
}
TypedExpr<bool> NotIn(const Expr& operand, const Select& query) {
  return TypedExpr<bool>(MakeInSubquery(operand, query, true));
}

Expr MakeBetween(Expr operand, Expr low, Expr high, bool negated) {
  return Expr(MakeNode({.kind = ExprKind::kBetween,
                        .flags = static_cast<uint8_t>(negated ? kNegated : 0),
                        .args = {std::move(operand), std::move(low), std::move(high)}}));
}

Expr MakeLike(Expr operand, Expr pattern, bool case_insensitive, bool negated) {
  return Expr(MakeNode({.kind = ExprKind::kLike,
                        .flags = static_cast<uint8_t>((negated ? kNegated : 0) |
                                                      (case_insensitive ? kCaseInsensitive : 0)),
                        .args = {std::move(operand), std::move(pattern)}}));
}

Expr MakeRegex(Expr operand, Expr pattern, bool case_insensitive, bool negated) {
  return Expr(MakeNode({.kind = ExprKind::kRegex,
                        .flags = static_cast<uint8_t>((negated ? kNegated : 0) |
                                                      (case_insensitive ? kCaseInsensitive : 0)),
                        .args = {std::move(operand), std::move(pattern)}}));
}

Expr MakeTextMatch(const Expr& operand, absl::string_view text, bool any_before, bool any_after,
                   bool case_insensitive) {
  std::string pattern = absl::StrCat(any_before ? "%" : "", EscapeLike(text), any_after ? "%" : "");
  return MakeLike(operand, Param(Value(std::move(pattern))), case_insensitive, /*negated=*/false);
}

std::string EscapeLike(absl::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return escaped;
}

Expr CaseBuilder::Build(Expr else_result) const {
  std::vector<Expr> args;
  uint8_t flags = 0;
  if (!operand_.empty()) {
    args.push_back(operand_);
    flags |= kCaseOperand;
  }
  args.insert(args.end(), whens_.begin(), whens_.end());
  if (!else_result.empty()) {
    args.push_back(std::move(else_result));
    flags |= kCaseElse;
  }
  return Expr(MakeNode({.kind = ExprKind::kCase, .flags = flags, .args = std::move(args)}));
}

Expr Cast(const Expr& operand, SqlType type) {
  return Expr(MakeNode({.kind = ExprKind::kCast, .type = std::move(type), .args = {operand}}));
}

Expr MakeFunction(std::string name, std::vector<Expr> args) {
  return Expr(
      MakeNode({.kind = ExprKind::kFunction, .name = std::move(name), .args = std::move(args)}));
}

Expr ColumnRef(std::string qualifier, std::string name, SqlType type) {
  return Expr(MakeNode({.kind = ExprKind::kColumn,
                        .name = std::move(name),
                        .qualifier = std::move(qualifier),
                        .type = std::move(type)}));
}

Expr Star(std::string qualifier) {
  return Expr(MakeNode({.kind = ExprKind::kStar, .qualifier = std::move(qualifier)}));
}

Expr Excluded(std::string column) {
  return Expr(MakeNode({.kind = ExprKind::kExcluded, .name = std::move(column)}));
}

size_t ShapeHash(const std::vector<Expr>& exprs) {
  size_t hash = absl::HashOf(exprs.size());
  for (const Expr& expr : exprs) {
    hash = absl::HashOf(hash, expr.empty() ? size_t{0} : expr.node().shape_hash);
  }
  return hash;
}

size_t ShapeHash(const std::vector<OrderTerm>& terms) {
  size_t hash = absl::HashOf(terms.size());
  for (const OrderTerm& term : terms) {
    hash = absl::HashOf(hash, term.expr.empty() ? size_t{0} : term.expr.node().shape_hash,
                        term.descending, term.nulls);
  }
  return hash;
}

// functions.h

Expr WithFunctionFlag(const Expr& call, ExprFlag flag) {
  ExprNode node = call.node();
  node.flags |= flag;
  return Expr(MakeNode(std::move(node)));
}

Expr WithFunctionFilter(const Expr& call, const Expr& condition) {
  ExprNode node = call.node();
  if (node.has(kFilter)) {
    node.args.back() = And({node.args.back(), condition});
  } else {
    node.flags |= kFilter;
    node.args.push_back(condition);
  }
  return Expr(MakeNode(std::move(node)));
}

Expr MakeWindow(const Expr& function, const WindowSpec& window) {
  return Expr(MakeNode({.kind = ExprKind::kWindow,
                        .args = {function},
                        .window = std::make_shared<const WindowSpec>(window)}));
}

Expr CurrentTimestamp() { return Expr(MakeNode({.kind = ExprKind::kCurrentTimestamp})); }

}  // namespace duo::sql

namespace duo::func {

using sql::MakeFunction;

FunctionCall<int64_t> Count() {
  return FunctionCall<int64_t>(
      sql::WithFunctionFlag(MakeFunction("count", {}), sql::kFunctionStar));
}
FunctionCall<int64_t> Count(const Expr& expr) {
  return FunctionCall<int64_t>(MakeFunction("count", {expr}));
}
FunctionCall<double> Avg(const Expr& expr) {
  return FunctionCall<double>(MakeFunction("avg", {expr}));
}
FunctionCall<std::string> Lower(const Expr& expr) {
  return FunctionCall<std::string>(MakeFunction("lower", {expr}));
}
FunctionCall<std::string> Upper(const Expr& expr) {
  return FunctionCall<std::string>(MakeFunction("upper", {expr}));
}
FunctionCall<int64_t> Length(const Expr& expr) {
  return FunctionCall<int64_t>(MakeFunction("length", {expr}));
}
FunctionCall<int64_t> RowNumber() { return FunctionCall<int64_t>(MakeFunction("row_number", {})); }
FunctionCall<int64_t> Rank() { return FunctionCall<int64_t>(MakeFunction("rank", {})); }
FunctionCall<int64_t> DenseRank() { return FunctionCall<int64_t>(MakeFunction("dense_rank", {})); }
FunctionCall<> Lag(const Expr& expr, int64_t offset) {
  return FunctionCall<>(MakeFunction("lag", {expr, sql::Param(offset)}));
}
FunctionCall<> Lead(const Expr& expr, int64_t offset) {
  return FunctionCall<>(MakeFunction("lead", {expr, sql::Param(offset)}));
}
FunctionCall<> FirstValue(const Expr& expr) {
  return FunctionCall<>(MakeFunction("first_value", {expr}));
}
FunctionCall<> LastValue(const Expr& expr) {
  return FunctionCall<>(MakeFunction("last_value", {expr}));
}

}  // namespace duo::func
