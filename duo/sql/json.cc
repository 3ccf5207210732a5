#include "duo/sql/json.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace duo::sql {
namespace {

// The node of `op` over `operand`: the path's steps as bound values (keys
// as text, indexes as integers), their kinds in the node's name, then
// `extra` (the operator's own operands).
Expr MakeJson(ExprOp op, const Expr& operand, const JsonPath& path, std::vector<Expr> extra = {}) {
  ExprNode node{.kind = ExprKind::kJson, .op = op};
  node.args.reserve(1 + path.size() + extra.size());
  node.args.push_back(operand);
  for (const JsonStep& step : path) {
    if (step.is_index()) {
      node.name.push_back(step.index() < 0 ? kJsonBadIndexStep : kJsonIndexStep);
      node.args.push_back(Param(Value(step.index())));
    } else {
      node.name.push_back(kJsonKeyStep);
      node.args.push_back(Param(Value(step.key())));
    }
  }
  for (Expr& arg : extra) node.args.push_back(std::move(arg));
  return Expr(MakeNode(std::move(node)));
}

}  // namespace

TypedExpr<std::optional<std::string>> JsonTextAt(const Expr& document, const JsonPath& path) {
  return TypedExpr<std::optional<std::string>>(MakeJson(ExprOp::kJsonText, document, path));
}

TypedExpr<std::optional<double>> JsonNumberAt(const Expr& document, const JsonPath& path) {
  return TypedExpr<std::optional<double>>(MakeJson(ExprOp::kJsonNumber, document, path));
}

TypedExpr<bool> JsonHasKey(const Expr& document, const JsonPath& path, std::string key) {
  // The key is the path's last step: each dialect walks to the object and
  // asks for the key in one place.
  JsonPath full = path;
  full.emplace_back(std::move(key));
  return TypedExpr<bool>(MakeJson(ExprOp::kJsonHasKey, document, full));
}

TypedExpr<bool> JsonContains(const Expr& document, JsonText fragment) {
  return TypedExpr<bool>(
      MakeJson(ExprOp::kJsonContains, document, {}, {Param(Value(std::move(fragment)))}));
}

TypedExpr<bool> ArrayContains(const Expr& array, Array values) {
  // Every array that is not NULL holds no values; said so directly, because
  // SQLite's json_each form would also say it of a NULL array.
  if (values.elements.empty()) return TypedExpr<bool>(MakeIsNull(array, /*negated=*/true));
  return TypedExpr<bool>(
      MakeJson(ExprOp::kArrayContains, array, {}, {Param(Value(std::move(values)))}));
}

TypedExpr<bool> ArrayOverlaps(const Expr& array, Array values) {
  return TypedExpr<bool>(
      MakeJson(ExprOp::kArrayOverlaps, array, {}, {Param(Value(std::move(values)))}));
}

TypedExpr<bool> ArrayHas(const Expr& array, Value value) {
  return TypedExpr<bool>(MakeJson(ExprOp::kArrayHas, array, {}, {Param(std::move(value))}));
}

TypedExpr<std::optional<int64_t>> ArrayLength(const Expr& array) {
  return TypedExpr<std::optional<int64_t>>(MakeJson(ExprOp::kArrayLength, array, {}));
}

}  // namespace duo::sql
