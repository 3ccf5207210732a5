#include "duo/dialect/compiler.h"

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "duo/sql/functions.h"
#include "duo/sql/json.h"
#include "duo/sql/shape.h"

namespace duo::dialect {
namespace {

using sql::Expr;
using sql::ExprKind;
using sql::ExprNode;
using sql::ExprOp;

int PrecedenceOf(const ExprNode& node) {
  switch (node.kind) {
    case ExprKind::kOr:
      return SqlWriter::kOr;
    case ExprKind::kAnd:
      return SqlWriter::kAnd;
    case ExprKind::kUnary:
      return node.op == ExprOp::kNot ? SqlWriter::kNot : SqlWriter::kUnary;
    case ExprKind::kBinary:
      switch (node.op) {
        case ExprOp::kAdd:
        case ExprOp::kSub:
          return SqlWriter::kAdditive;
        case ExprOp::kMul:
        case ExprOp::kDiv:
        case ExprOp::kMod:
          return SqlWriter::kMultiplicative;
        case ExprOp::kConcat:
          return SqlWriter::kConcat;
        default:
          return SqlWriter::kComparison;
      }
    case ExprKind::kIsNull:
    case ExprKind::kIn:
    case ExprKind::kInSubquery:
    case ExprKind::kBetween:
    case ExprKind::kLike:
    case ExprKind::kRegex:
      return SqlWriter::kComparison;
    case ExprKind::kExists:
      return node.has(sql::kNegated) ? SqlWriter::kNot : SqlWriter::kAtom;
    case ExprKind::kText:
      // Raw SQL may hold any operator: always parenthesized inside others.
      return SqlWriter::kLowest;
    case ExprKind::kJson:
      // Extractions and lengths are written as function calls or
      // parenthesized; the tests may be written with an operator (@>, &&).
      switch (node.op) {
        case ExprOp::kJsonText:
        case ExprOp::kJsonNumber:
        case ExprOp::kArrayLength:
          return SqlWriter::kAtom;
        default:
          return SqlWriter::kComparison;
      }
    default:
      return SqlWriter::kAtom;
  }
}

absl::string_view BinaryOperator(ExprOp op) {
  switch (op) {
    case ExprOp::kEq:
      return " = ";
    case ExprOp::kNe:
      return " <> ";
    case ExprOp::kLt:
      return " < ";
    case ExprOp::kLe:
      return " <= ";
    case ExprOp::kGt:
      return " > ";
    case ExprOp::kGe:
      return " >= ";
    case ExprOp::kAdd:
      return " + ";
    case ExprOp::kSub:
      return " - ";
    case ExprOp::kMul:
      return " * ";
    case ExprOp::kDiv:
      return " / ";
    case ExprOp::kMod:
      return " % ";
    case ExprOp::kConcat:
      return " || ";
    default:
      return " ? ";
  }
}

// Function names are emitted as written, so they must look like names.
bool IsValidFunctionName(absl::string_view name) {
  if (name.empty() || absl::ascii_isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return true;
}

absl::string_view JoinKeyword(sql::JoinKind kind) {
  switch (kind) {
    case sql::JoinKind::kInner:
      return " JOIN ";
    case sql::JoinKind::kLeft:
      return " LEFT JOIN ";
    case sql::JoinKind::kRight:
      return " RIGHT JOIN ";
    case sql::JoinKind::kFull:
      return " FULL JOIN ";
    case sql::JoinKind::kCross:
      return " CROSS JOIN ";
  }
  return " JOIN ";
}

absl::string_view SetOpKeyword(sql::SetOp op) {
  switch (op) {
    case sql::SetOp::kUnion:
      return " UNION ";
    case sql::SetOp::kUnionAll:
      return " UNION ALL ";
    case sql::SetOp::kIntersect:
      return " INTERSECT ";
    case sql::SetOp::kExcept:
      return " EXCEPT ";
  }
  return " UNION ";
}

void AppendFrameBound(const sql::FrameBound& bound, std::string* out) {
  using Kind = sql::FrameBound::Kind;
  switch (bound.kind) {
    case Kind::kUnboundedPreceding:
      out->append("UNBOUNDED PRECEDING");
      return;
    case Kind::kPreceding:
      absl::StrAppend(out, bound.offset, " PRECEDING");
      return;
    case Kind::kCurrentRow:
      out->append("CURRENT ROW");
      return;
    case Kind::kFollowing:
      absl::StrAppend(out, bound.offset, " FOLLOWING");
      return;
    case Kind::kUnboundedFollowing:
      out->append("UNBOUNDED FOLLOWING");
      return;
  }
}

}  // namespace

SqlWriter::SqlWriter(const Dialect& dialect, const ParamSlots* params)
    : dialect_(dialect), params_(params) {
  sql_.reserve(256);
}

SqlWriter::SqlWriter(const Dialect& dialect) : dialect_(dialect) { sql_.reserve(256); }

void SqlWriter::Fail(absl::Status status) {
  if (status_.ok()) status_ = std::move(status);
}

void SqlWriter::Unsupported(absl::string_view construct) {
  Fail(absl::UnimplementedError(absl::StrCat(dialect_.name(), " does not support ", construct)));
}

absl::StatusOr<CompiledTemplate> SqlWriter::Finish() && {
  if (!status_.ok()) return status_;
  return CompiledTemplate{std::move(sql_), std::move(slots_), std::move(array_slots_)};
}

absl::StatusOr<CompiledStatement> SqlWriter::FinishWithValues() && {
  if (!status_.ok()) return status_;
  return CompiledStatement{std::move(sql_), std::move(values_)};
}

void SqlWriter::WriteIdentifier(absl::string_view name) {
  const char quote = dialect_.IdentifierQuote();
  sql_.push_back(quote);
  for (char c : name) {
    if (c == quote) sql_.push_back(quote);
    sql_.push_back(c);
  }
  sql_.push_back(quote);
}

void SqlWriter::WriteConditions(absl::string_view keyword, const std::vector<Expr>& conditions) {
  if (conditions.empty()) return;
  Write(keyword);
  // Several conditions are AND-ed: each must then bind at least as tightly.
  const int context = conditions.size() > 1 ? kAnd + 1 : kLowest;
  for (size_t i = 0; i < conditions.size(); ++i) {
    if (i > 0) Write(" AND ");
    WriteExpr(conditions[i], context);
  }
}

void SqlWriter::WriteExprList(const std::vector<Expr>& exprs) {
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (i > 0) Write(", ");
    WriteExpr(exprs[i]);
  }
}

void SqlWriter::WriteSortKey(const Expr& expr) {
  if (dialect_.ReadsBoundSortKeysAsPositions() && !expr.empty() &&
      expr.node().kind == ExprKind::kParam) {
    Write("COALESCE(");
    WriteExpr(expr);
    Write(")");
    return;
  }
  WriteExpr(expr);
}

void SqlWriter::WriteExpr(const Expr& expr, int context) {
  if (expr.empty()) {
    Fail(absl::InvalidArgumentError("an empty expression was used in a statement"));
    return;
  }
  const ExprNode& node = expr.node();
  const bool parenthesize =
      PrecedenceOf(node) < context ||
      (context > kLowest && PrecedenceOf(node) == context && context == kComparison);
  if (parenthesize) Write("(");
  WriteNode(node, context);
  if (parenthesize) Write(")");
}

int SqlWriter::NextSlot(const ExprNode& node) {
  // The writer meets a node's occurrences in the canonical walk's order.
  auto it = params_->find(&node);
  size_t& used = occurrences_used_[&node];
  if (it == params_->end() || used >= it->second.size()) {
    Fail(absl::InternalError("a parameter was not found in the canonical walk"));
    return -1;
  }
  return it->second[used++];
}

void SqlWriter::WriteParam(const ExprNode& node) {
  if (params_ == nullptr) {
    values_.push_back(node.value);
  } else {
    const int slot = NextSlot(node);
    if (slot < 0) return;
    slots_.push_back(slot);
  }
  dialect_.WritePlaceholder(*this, ++placeholders_);
}

bool SqlWriter::WriteInAsArray(const ExprNode& in) {
  const size_t max_inline = dialect_.MaxInlineInList();
  if (max_inline == 0 || in.args.size() - 1 <= max_inline) return false;
  // Only bound values and NULLs (std::nullopt is a NULL literal): an
  // expression in the list is SQL, which no array parameter can carry. This
  // depends on the shape alone (not on the values), so a cached template of
  // the shape stays right.
  for (size_t i = 1; i < in.args.size(); ++i) {
    const ExprKind kind = in.args[i].node().kind;
    if (kind != ExprKind::kParam && kind != ExprKind::kNull) return false;
  }
  WriteExpr(in.args[0], kConcat);
  // Same answers as IN / NOT IN, NULLs included: x = ANY('{1,NULL}') is
  // NULL, not false, when x is not 1.
  Write(in.has(sql::kNegated) ? " <> ALL(" : " = ANY(");
  if (params_ == nullptr) {
    sql::Array array;
    array.elements.reserve(in.args.size() - 1);
    for (size_t i = 1; i < in.args.size(); ++i) {
      const ExprNode& item = in.args[i].node();
      array.elements.push_back(item.kind == ExprKind::kParam ? item.value : sql::Value());
    }
    values_.emplace_back(std::move(array));
  } else {
    std::vector<int> slots;
    slots.reserve(in.args.size() - 1);
    for (size_t i = 1; i < in.args.size(); ++i) {
      const ExprNode& item = in.args[i].node();
      slots.push_back(item.kind == ExprKind::kParam ? NextSlot(item)
                                                    : CompiledTemplate::kNullElement);
    }
    slots_.push_back(CompiledTemplate::kArraySlot);
    array_slots_.push_back(std::move(slots));
  }
  dialect_.WritePlaceholder(*this, ++placeholders_);
  Write(")");
  return true;
}

std::vector<sql::Value> CompiledTemplate::Bind(const std::vector<const sql::Value*>& values) const {
  std::vector<sql::Value> params;
  params.reserve(slots.size());
  size_t next_array = 0;
  for (const int slot : slots) {
    if (slot != kArraySlot) {
      params.push_back(*values[slot]);
      continue;
    }
    sql::Array array;
    array.elements.reserve(array_slots[next_array].size());
    for (const int element : array_slots[next_array]) {
      array.elements.push_back(element == kNullElement ? sql::Value() : *values[element]);
    }
    ++next_array;
    params.emplace_back(std::move(array));
  }
  return params;
}

void SqlWriter::WriteComparand(const sql::Expr& expr, int context) {
  const ExprNode& node = expr.node();
  if (node.kind == ExprKind::kColumn && node.type.kind == sql::SqlType::Kind::kTimestamp) {
    dialect_.WriteComparedTimestamp(*this, expr, context);
  } else {
    WriteExpr(expr, context);
  }
}

void Dialect::WriteComparedTimestamp(SqlWriter& writer, const sql::Expr& column,
                                     int context) const {
  writer.WriteExpr(column, context);
}

void SqlWriter::WriteNode(const ExprNode& node, int context) {
  const bool negated = node.has(sql::kNegated);
  switch (node.kind) {
    case ExprKind::kColumn:
      if (!node.qualifier.empty() && !unqualified_columns_) {
        WriteIdentifier(node.qualifier);
        Write(".");
      }
      WriteIdentifier(node.name);
      return;
    case ExprKind::kStar:
      if (!node.qualifier.empty()) {
        WriteIdentifier(node.qualifier);
        Write(".");
      }
      Write("*");
      return;
    case ExprKind::kParam:
      WriteParam(node);
      return;
    case ExprKind::kNull:
      Write("NULL");
      return;
    case ExprKind::kUnary:
      if (node.op == ExprOp::kNot) {
        Write("NOT ");
        // Always parenthesized: NOT's precedence differs between databases.
        const bool atom = PrecedenceOf(node.args[0].node()) == kAtom;
        if (!atom) Write("(");
        WriteExpr(node.args[0]);
        if (!atom) Write(")");
      } else {
        Write("-");
        WriteExpr(node.args[0], kAtom);
      }
      return;
    case ExprKind::kBinary: {
      if (node.op == ExprOp::kConcat) {
        dialect_.WriteConcat(*this, node.args[0], node.args[1]);
        return;
      }
      const int precedence = PrecedenceOf(node);
      // || binds differently on SQLite and PostgreSQL: parenthesize operands.
      const int operand_context = node.op == ExprOp::kConcat ? kAtom : precedence;
      const bool comparison = precedence == kComparison;
      if (comparison) {
        WriteComparand(node.args[0], operand_context);
      } else {
        WriteExpr(node.args[0], operand_context);
      }
      Write(BinaryOperator(node.op));
      // Operators group left to right: a right operand of the same
      // precedence keeps its parentheses (a * (b / c) differs from
      // a * b / c in integer arithmetic; comparisons never chain).
      const int right_context = node.op == ExprOp::kConcat ? kAtom : precedence + 1;
      if (comparison) {
        WriteComparand(node.args[1], right_context);
      } else {
        WriteExpr(node.args[1], right_context);
      }
      return;
    }
    case ExprKind::kAnd:
    case ExprKind::kOr: {
      const int precedence = PrecedenceOf(node);
      for (size_t i = 0; i < node.args.size(); ++i) {
        if (i > 0) Write(node.kind == ExprKind::kAnd ? " AND " : " OR ");
        WriteExpr(node.args[i], precedence + 1);
      }
      return;
    }
    case ExprKind::kIsNull:
      WriteExpr(node.args[0], kConcat);
      Write(negated ? " IS NOT NULL" : " IS NULL");
      return;
    case ExprKind::kIn:
      if (node.args.size() == 1) {
        // `x IN ()` is not SQL; an empty list matches nothing.
        Write(negated ? "1 = 1" : "1 = 0");
        return;
      }
      if (WriteInAsArray(node)) return;
      WriteComparand(node.args[0], kConcat);
      Write(negated ? " NOT IN (" : " IN (");
      for (size_t i = 1; i < node.args.size(); ++i) {
        if (i > 1) Write(", ");
        WriteComparand(node.args[i], kLowest);
      }
      Write(")");
      return;
    case ExprKind::kInSubquery: {
      WriteExpr(node.args[0], kConcat);
      Write(negated ? " NOT IN (" : " IN (");
      const bool derived = !dialect_.SupportsLimitInInSubquery() &&
                           (!node.subquery->limit.empty() || !node.subquery->offset.empty());
      if (derived) Write("SELECT * FROM (");
      WriteSelect(*node.subquery);
      if (derived) Write(") AS duo_limited");
      Write(")");
      return;
    }
    case ExprKind::kBetween:
      WriteComparand(node.args[0], kConcat);
      Write(negated ? " NOT BETWEEN " : " BETWEEN ");
      WriteComparand(node.args[1], kConcat);
      Write(" AND ");
      WriteComparand(node.args[2], kConcat);
      return;
    case ExprKind::kLike:
      dialect_.WriteLike(*this, node);
      return;
    case ExprKind::kRegex:
      dialect_.WriteRegex(*this, node);
      return;
    case ExprKind::kCase: {
      Write("CASE");
      size_t i = 0;
      if (node.has(sql::kCaseOperand)) {
        Write(" ");
        WriteExpr(node.args[i++]);
      }
      const size_t end = node.args.size() - (node.has(sql::kCaseElse) ? 1 : 0);
      if (i == end) Fail(absl::InvalidArgumentError("CASE needs at least one WHEN"));
      for (; i + 1 < end; i += 2) {
        Write(" WHEN ");
        WriteExpr(node.args[i]);
        Write(" THEN ");
        WriteExpr(node.args[i + 1]);
      }
      if (node.has(sql::kCaseElse)) {
        Write(" ELSE ");
        WriteExpr(node.args.back());
      }
      Write(" END");
      return;
    }
    case ExprKind::kCast:
      if (node.type.kind == sql::SqlType::Kind::kUnspecified) {
        Fail(absl::InvalidArgumentError("CAST needs a target type"));
      }
      {
        const std::string type = dialect_.CastTypeName(node.type);
        if (type.empty() && node.type.kind != sql::SqlType::Kind::kUnspecified) {
          Unsupported(absl::StrCat("CAST to ", dialect_.TypeName(node.type).empty()
                                                   ? std::string("this type")
                                                   : dialect_.TypeName(node.type)));
        }
        Write("CAST(");
        WriteExpr(node.args[0]);
        Write(" AS ");
        Write(type);
        Write(")");
        return;
      }
    case ExprKind::kFunction:
      WriteFunction(node);
      return;
    case ExprKind::kWindow:
      WriteExpr(node.args[0], kAtom);
      Write(" OVER (");
      WriteWindow(*node.window);
      Write(")");
      return;
    case ExprKind::kExists:
      Write(negated ? "NOT EXISTS (" : "EXISTS (");
      WriteSelect(*node.subquery);
      Write(")");
      return;
    case ExprKind::kSubquery:
      Write("(");
      WriteSelect(*node.subquery);
      Write(")");
      return;
    case ExprKind::kLabel:
      if (labels_by_name_) {
        WriteIdentifier(node.name);
      } else {
        WriteExpr(node.args[0], context);
      }
      return;
    case ExprKind::kText:
      WriteText(node);
      return;
    case ExprKind::kExcluded:
      dialect_.WriteExcluded(*this, node.name);
      return;
    case ExprKind::kCurrentTimestamp:
      dialect_.WriteCurrentTimestamp(*this);
      return;
    case ExprKind::kJson:
      if (absl::Status path = dialect::CheckJsonPath(node); !path.ok()) {
        Fail(std::move(path));
        return;
      }
      dialect_.WriteJson(*this, node);
      return;
  }
}

void SqlWriter::WriteText(const ExprNode& node) {
  const sql::TextParts& text = *node.text;
  if (!text.unknown_bindings.empty()) {
    Fail(absl::InvalidArgumentError(absl::StrCat("Text binds :", text.unknown_bindings.front(),
                                                 ", which the SQL does not contain")));
  }
  Write(text.pieces[0]);
  for (size_t i = 0; i < text.names.size(); ++i) {
    if (node.args[i].empty()) {
      Fail(absl::InvalidArgumentError(
          absl::StrCat("Text parameter :", text.names[i], " has no bound value")));
    } else {
      WriteExpr(node.args[i]);
    }
    Write(text.pieces[i + 1]);
  }
}

void SqlWriter::WriteFunction(const ExprNode& node) {
  if (!IsValidFunctionName(node.name)) {
    Fail(absl::InvalidArgumentError(
        absl::StrCat("\"", node.name, "\" is not a valid SQL function name")));
    return;
  }
  Write(dialect_.FunctionName(node.name));
  Write("(");
  if (node.has(sql::kDistinct)) Write("DISTINCT ");
  const size_t argc = node.args.size() - (node.has(sql::kFilter) ? 1 : 0);
  if (node.has(sql::kFunctionStar)) Write("*");
  for (size_t i = 0; i < argc; ++i) {
    if (i > 0) Write(", ");
    WriteExpr(node.args[i]);
  }
  Write(")");
  if (node.has(sql::kFilter)) {
    if (!dialect_.SupportsAggregateFilter()) Unsupported("aggregate FILTER (WHERE ...)");
    Write(" FILTER (WHERE ");
    WriteExpr(node.args.back());
    Write(")");
  }
}

void SqlWriter::WriteWindow(const sql::WindowSpec& window) {
  const char* separator = "";
  if (!window.partition_by.empty()) {
    Write("PARTITION BY ");
    WriteExprList(window.partition_by);
    separator = " ";
  }
  if (!window.order_by.empty()) {
    Write(separator);
    // A select-list label means nothing inside OVER (...): write the
    // expression itself.
    WriteOrderBy(window.order_by, /*labels_by_name=*/false);
    separator = " ";
  }
  if (window.frame) {
    Write(separator);
    Write(window.frame->mode == sql::WindowFrame::Mode::kRows ? "ROWS BETWEEN " : "RANGE BETWEEN ");
    AppendFrameBound(window.frame->start, &sql_);
    Write(" AND ");
    AppendFrameBound(window.frame->end, &sql_);
  }
}

void SqlWriter::WriteOrderBy(const std::vector<sql::OrderTerm>& terms, bool labels_by_name) {
  Write("ORDER BY ");
  const bool saved = labels_by_name_;
  labels_by_name_ = labels_by_name;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (i > 0) Write(", ");
    dialect_.WriteOrderTerm(*this, terms[i]);
  }
  labels_by_name_ = saved;
}

void SqlWriter::WriteFromItem(const sql::FromItem& item, const sql::SelectData* hints_from) {
  switch (item.kind()) {
    case sql::FromItem::Kind::kTable:
      if (!item.schema().empty()) {
        WriteIdentifier(item.schema());
        Write(".");
      }
      WriteIdentifier(item.name());
      if (!item.alias().empty()) {
        Write(" AS ");
        WriteIdentifier(item.alias());
      }
      break;
    case sql::FromItem::Kind::kSubquery:
      Write("(");
      WriteSelect(*item.subquery());
      Write(") AS ");
      WriteIdentifier(item.alias());
      break;
    case sql::FromItem::Kind::kJoin: {
      const sql::JoinData& join = item.join();
      if (join.kind == sql::JoinKind::kFull && !dialect_.SupportsFullJoin()) {
        Unsupported("FULL JOIN");
      }
      WriteFromItem(join.left, hints_from);
      Write(JoinKeyword(join.kind));
      const bool nested = join.right.kind() == sql::FromItem::Kind::kJoin;
      if (nested) Write("(");
      WriteFromItem(join.right, hints_from);
      if (nested) Write(")");
      if (join.kind != sql::JoinKind::kCross) {
        Write(" ON ");
        WriteExpr(join.on);
      }
      return;
    }
  }
  if (hints_from != nullptr) {
    for (const sql::Hint& hint : hints_from->hints) {
      if (!hint.table.empty() && hint.table == item.ref_name() &&
          dialect_.EmitsHintsFor(hint.dialect)) {
        Write(" ");
        Write(hint.text);
      }
    }
  }
}

void SqlWriter::WriteTable(const sql::Table& table) {
  WriteFromItem(sql::FromItem(table), /*hints_from=*/nullptr);
}

void SqlWriter::WriteCtes(const std::vector<sql::CteData>& ctes) {
  if (ctes.empty()) return;
  bool recursive = false;
  for (const sql::CteData& cte : ctes) recursive |= cte.recursive;
  Write(recursive ? "WITH RECURSIVE " : "WITH ");
  for (size_t i = 0; i < ctes.size(); ++i) {
    const sql::CteData& cte = ctes[i];
    if (i > 0) Write(", ");
    WriteIdentifier(cte.name);
    if (!cte.columns.empty()) {
      Write(" (");
      for (size_t c = 0; c < cte.columns.size(); ++c) {
        if (c > 0) Write(", ");
        WriteIdentifier(cte.columns[c]);
      }
      Write(")");
    }
    Write(" AS (");
    if (cte.query == nullptr) {
      Fail(absl::InvalidArgumentError(
          absl::StrCat("CTE \"", cte.name, "\" has no query (call Cte::As)")));
    } else {
      WriteSelect(*cte.query);
    }
    Write(")");
  }
  Write(" ");
}

void SqlWriter::WriteLimit(const sql::SelectData& select) {
  if (!select.limit.empty() || !select.offset.empty()) {
    dialect_.WriteLimitOffset(*this, select.limit, select.offset);
  }
}

void SqlWriter::WriteSelect(const sql::SelectData& select) {
  if (!select.error.ok()) {
    Fail(select.error);
    return;
  }
  WriteCtes(select.ctes);
  if (select.is_compound()) {
    WriteCompound(select);
  } else {
    WriteSimpleSelect(select);
  }
}

void SqlWriter::WriteSimpleSelect(const sql::SelectData& select) {
  Write("SELECT ");
  for (const sql::Hint& hint : select.hints) {
    if (hint.table.empty() && dialect_.EmitsHintsFor(hint.dialect)) {
      Write(hint.text);
      Write(" ");
    }
  }
  if (!select.distinct_on.empty()) {
    dialect_.WriteDistinctOn(*this, select.distinct_on);
  } else if (select.distinct) {
    Write("DISTINCT ");
  }
  if (select.columns.empty()) {
    Write("*");
  } else {
    WriteOutputList(select.columns);
  }
  if (!select.from.empty()) {
    Write(" FROM ");
    for (size_t i = 0; i < select.from.size(); ++i) {
      if (i > 0) Write(", ");
      WriteFromItem(select.from[i], &select);
    }
  }
  WriteConditions(" WHERE ", select.where);
  if (!select.group_by.empty()) {
    Write(" GROUP BY ");
    for (size_t i = 0; i < select.group_by.size(); ++i) {
      if (i > 0) Write(", ");
      WriteSortKey(select.group_by[i]);
    }
  }
  WriteConditions(" HAVING ", select.having);
  if (!select.order_by.empty()) {
    Write(" ");
    WriteOrderBy(select.order_by);
  }
  WriteLimit(select);
  if (select.lock.strength != sql::LockClause::Strength::kNone) {
    dialect_.WriteLock(*this, select.lock);
  }
}

void SqlWriter::WriteCompound(const sql::SelectData& select) {
  for (size_t i = 0; i < select.set_members.size(); ++i) {
    if (i > 0) Write(SetOpKeyword(select.set_op));
    const sql::SelectData& member = *select.set_members[i];
    const bool complex = member.is_compound() || !member.order_by.empty() ||
                         !member.limit.empty() || !member.offset.empty() || !member.ctes.empty();
    if (dialect_.ParenthesizesSetMembers()) {
      Write("(");
      WriteSelect(member);
      Write(")");
    } else if (complex) {
      // SQLite forbids parenthesized members: a subquery keeps the member's
      // own ORDER BY / LIMIT / grouping.
      Write("SELECT * FROM (");
      WriteSelect(member);
      Write(")");
    } else {
      WriteSelect(member);
    }
  }
  if (!select.order_by.empty()) {
    Write(" ");
    const bool saved = unqualified_columns_;
    unqualified_columns_ = true;
    WriteOrderBy(select.order_by);
    unqualified_columns_ = saved;
  }
  WriteLimit(select);
  if (select.lock.strength != sql::LockClause::Strength::kNone) {
    Fail(absl::InvalidArgumentError("row locking does not apply to a UNION/INTERSECT/EXCEPT"));
  }
}

void SqlWriter::WriteOutputList(const std::vector<Expr>& exprs) {
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (i > 0) Write(", ");
    const Expr& e = exprs[i];
    if (!e.empty() && e.node().kind == ExprKind::kLabel) {
      WriteExpr(e.node().args[0]);
      Write(" AS ");
      WriteIdentifier(e.node().name);
    } else {
      WriteExpr(e);
    }
  }
}

void SqlWriter::WriteReturning(StatementKind kind, const std::vector<Expr>& exprs) {
  if (exprs.empty()) return;
  if (!dialect_.SupportsReturning(kind)) {
    switch (kind) {
      case StatementKind::kInsert:
        Unsupported("INSERT ... RETURNING");
        break;
      case StatementKind::kUpdate:
        Unsupported("UPDATE ... RETURNING");
        break;
      case StatementKind::kDelete:
        Unsupported("DELETE ... RETURNING");
        break;
      case StatementKind::kSelect:
        Unsupported("RETURNING");
        break;
    }
    return;
  }
  Write(" RETURNING ");
  WriteOutputList(exprs);
}

void SqlWriter::WriteInsert(const sql::InsertData& insert) {
  Write("INSERT INTO ");
  WriteTable(insert.table);
  // A row of no values (every column left to its default, as for a model
  // whose columns are all generated) has no VALUES form: DEFAULT VALUES.
  const bool defaults_only =
      insert.select == nullptr &&
      (insert.rows.empty() ||
       (insert.columns.empty() && insert.rows.size() == 1 && insert.rows[0].empty()));
  if (defaults_only) {
    Write(dialect_.DefaultValuesClause());
  } else if (insert.select == nullptr && insert.columns.empty()) {
    Fail(absl::InvalidArgumentError(absl::StrCat(
        "INSERT INTO ", insert.table.name(), ": ", insert.rows.size(),
        " rows of only default values cannot share one statement; insert them one by one")));
    return;
  } else {
    Write(" (");
    for (size_t i = 0; i < insert.columns.size(); ++i) {
      if (i > 0) Write(", ");
      WriteIdentifier(insert.columns[i]);
    }
    Write(")");
    if (insert.select != nullptr) {
      Write(" ");
      if (insert.on_conflict && dialect_.UpsertSelectNeedsWhere() &&
          (insert.select->where.empty() || insert.select->is_compound())) {
        // SQLite needs a WHERE right before ON CONFLICT to parse it; a
        // compound select gets one as a subquery.
        auto with_where = std::make_shared<sql::SelectData>(*insert.select);
        if (insert.select->is_compound()) {
          with_where = std::make_shared<sql::SelectData>();
          with_where->from.push_back(sql::Select(insert.select).Subquery("duo_rows"));
        }
        with_where->where.push_back(sql::Text("true"));
        WriteSelect(*with_where);
      } else {
        WriteSelect(*insert.select);
      }
    } else {
      Write(" VALUES ");
      for (size_t r = 0; r < insert.rows.size(); ++r) {
        const std::vector<Expr>& row = insert.rows[r];
        if (row.size() != insert.columns.size()) {
          Fail(absl::InvalidArgumentError(
              absl::StrCat("INSERT INTO ", insert.table.name(), ": row ", r, " has ", row.size(),
                           " values for ", insert.columns.size(), " columns")));
          return;
        }
        if (r > 0) Write(", ");
        Write("(");
        for (size_t c = 0; c < row.size(); ++c) {
          if (c > 0) Write(", ");
          if (row[c].empty()) {
            Fail(absl::InvalidArgumentError(absl::StrCat("INSERT INTO ", insert.table.name(),
                                                         ": row ", r, " has no value for column ",
                                                         insert.columns[c])));
            return;
          }
          WriteExpr(row[c]);
        }
        Write(")");
      }
    }
  }
  if (insert.on_conflict) dialect_.WriteUpsert(*this, insert);
  WriteReturning(StatementKind::kInsert, insert.returning);
}

void SqlWriter::WriteUpdate(const sql::UpdateData& update) {
  if (update.sets.empty()) {
    Fail(absl::InvalidArgumentError(
        absl::StrCat("UPDATE ", update.table.name(), " sets no column")));
    return;
  }
  Write("UPDATE ");
  WriteTable(update.table);
  Write(" SET ");
  for (size_t i = 0; i < update.sets.size(); ++i) {
    if (i > 0) Write(", ");
    WriteIdentifier(update.sets[i].column);
    Write(" = ");
    WriteExpr(update.sets[i].value);
  }
  if (!update.from.empty()) {
    if (!dialect_.SupportsUpdateFrom()) Unsupported("UPDATE ... FROM");
    Write(" FROM ");
    for (size_t i = 0; i < update.from.size(); ++i) {
      if (i > 0) Write(", ");
      WriteFromItem(update.from[i], nullptr);
    }
  }
  WriteConditions(" WHERE ", update.where);
  WriteReturning(StatementKind::kUpdate, update.returning);
}

void SqlWriter::WriteDelete(const sql::DeleteData& del) {
  Write("DELETE FROM ");
  WriteTable(del.table);
  WriteConditions(" WHERE ", del.where);
  WriteReturning(StatementKind::kDelete, del.returning);
}

void SqlWriter::WriteStatement(const sql::Statement& statement) {
  std::visit(
      [this](const auto& s) {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, sql::Select>) {
          WriteSelect(s.data());
        } else if constexpr (std::is_same_v<T, sql::Insert>) {
          WriteInsert(s.data());
        } else if constexpr (std::is_same_v<T, sql::Update>) {
          WriteUpdate(s.data());
        } else if constexpr (std::is_same_v<T, sql::Delete>) {
          WriteDelete(s.data());
        } else {
          WriteText(s.expr().node());
        }
      },
      statement);
}

// ---- Dialect --------------------------------------------------------------

absl::StatusOr<CompiledTemplate> Dialect::CompileTemplate(const sql::Statement& statement) const {
  // A node used twice (an Expr reused, a subquery repeated) has one slot per
  // occurrence: in another statement of the same shape the two places may
  // hold different values.
  ParamSlots params;
  int next = 0;
  sql::ForEachParam(statement, [&](const ExprNode& param) { params[&param].push_back(next++); });
  SqlWriter writer(*this, &params);
  writer.WriteStatement(statement);
  return std::move(writer).Finish();
}

absl::StatusOr<CompiledStatement> Dialect::Compile(const sql::Statement& statement) const {
  SqlWriter writer(*this);
  writer.WriteStatement(statement);
  return std::move(writer).FinishWithValues();
}

std::string Dialect::DebugSql(const CompiledStatement& compiled) const {
  // Placeholders are ? or $n outside quotes; quoted text is copied as is.
  std::string out;
  const std::string& sql = compiled.sql;
  size_t next_param = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == IdentifierQuote()) {
      const size_t end = sql.find(c, i + 1);
      const size_t stop = end == std::string::npos ? sql.size() : end + 1;
      out.append(sql, i, stop - i);
      i = stop - 1;
      continue;
    }
    // Only this dialect's placeholder: on PostgreSQL ? is a jsonb operator.
    const bool question = c == '?' && !NumberedPlaceholders();
    const bool dollar = NumberedPlaceholders() && c == '$' && i + 1 < sql.size() &&
                        absl::ascii_isdigit(static_cast<unsigned char>(sql[i + 1]));
    if (!question && !dollar) {
      out.push_back(c);
      continue;
    }
    size_t index = next_param++;
    if (dollar) {
      size_t end = i + 1;
      index = 0;
      while (end < sql.size() && absl::ascii_isdigit(static_cast<unsigned char>(sql[end]))) {
        index = index * 10 + static_cast<size_t>(sql[end] - '0');
        ++end;
      }
      index -= 1;
      i = end - 1;
    }
    out.append(index < compiled.params.size() ? compiled.params[index].DebugString() : "?");
  }
  return out;
}

absl::string_view JsonOperatorName(sql::ExprOp op) {
  switch (op) {
    case ExprOp::kJsonText:
      return "JSON text extraction (->>)";
    case ExprOp::kJsonNumber:
      return "JSON number extraction";
    case ExprOp::kJsonHasKey:
      return "JSON key existence";
    case ExprOp::kJsonContains:
      return "JSON containment (@>)";
    case ExprOp::kArrayContains:
      return "array containment (@>)";
    case ExprOp::kArrayOverlaps:
      return "array overlap (&&)";
    case ExprOp::kArrayHas:
      return "array membership (= ANY)";
    case ExprOp::kArrayLength:
      return "array length";
    default:
      return "an unknown JSON operator";
  }
}

absl::Status CheckJsonPath(const ExprNode& node) {
  for (size_t i = 0; i < node.name.size(); ++i) {
    if (node.name[i] != sql::kJsonBadIndexStep) continue;
    // Steps follow the operand: step i is args[i + 1].
    return absl::InvalidArgumentError(absl::StrCat(
        "a JSON path index must not be negative, not ", node.args[i + 1].node().value.DebugString(),
        " (step ", i + 1, " of ", JsonOperatorName(node.op), ")"));
  }
  return absl::OkStatus();
}

void Dialect::WriteJson(SqlWriter& writer, const ExprNode& node) const {
  writer.Unsupported(JsonOperatorName(node.op));
}

void Dialect::WriteLike(SqlWriter& writer, const ExprNode& like) const {
  writer.WriteExpr(like.args[0], SqlWriter::kConcat);
  const bool negated = like.has(sql::kNegated);
  if (like.has(sql::kCaseInsensitive)) {
    writer.Write(negated ? " NOT ILIKE " : " ILIKE ");
  } else {
    writer.Write(negated ? " NOT LIKE " : " LIKE ");
  }
  writer.WriteExpr(like.args[1], SqlWriter::kConcat);
  writer.Write(" ESCAPE '\\'");
}

void Dialect::WriteConcat(SqlWriter& writer, const Expr& left, const Expr& right) const {
  // || binds differently on SQLite and PostgreSQL: parenthesize operands.
  writer.WriteExpr(left, SqlWriter::kAtom);
  writer.Write(" || ");
  writer.WriteExpr(right, SqlWriter::kAtom);
}

void Dialect::WriteOrderTerm(SqlWriter& writer, const sql::OrderTerm& term) const {
  writer.WriteSortKey(term.expr);
  if (term.descending) writer.Write(" DESC");
  if (term.nulls == sql::OrderTerm::Nulls::kFirst) writer.Write(" NULLS FIRST");
  if (term.nulls == sql::OrderTerm::Nulls::kLast) writer.Write(" NULLS LAST");
}

void Dialect::WriteExcluded(SqlWriter& writer, absl::string_view column) const {
  writer.Write("excluded.");
  writer.WriteIdentifier(column);
}

void Dialect::WriteDistinctOn(SqlWriter& writer, const std::vector<Expr>& exprs) const {
  writer.Write("DISTINCT ON (");
  writer.WriteExprList(exprs);
  writer.Write(") ");
}

void Dialect::WriteLock(SqlWriter& writer, const sql::LockClause& lock) const {
  using Strength = sql::LockClause::Strength;
  switch (lock.strength) {
    case Strength::kNone:
      return;
    case Strength::kUpdate:
      writer.Write(" FOR UPDATE");
      break;
    case Strength::kNoKeyUpdate:
      writer.Write(" FOR NO KEY UPDATE");
      break;
    case Strength::kShare:
      writer.Write(" FOR SHARE");
      break;
    case Strength::kKeyShare:
      writer.Write(" FOR KEY SHARE");
      break;
  }
  if (!lock.of.empty()) {
    writer.Write(" OF ");
    for (size_t i = 0; i < lock.of.size(); ++i) {
      if (i > 0) writer.Write(", ");
      writer.WriteIdentifier(lock.of[i]);
    }
  }
  if (lock.wait == sql::LockClause::Wait::kNowait) writer.Write(" NOWAIT");
  if (lock.wait == sql::LockClause::Wait::kSkipLocked) writer.Write(" SKIP LOCKED");
}

void Dialect::WriteUpsert(SqlWriter& writer, const sql::InsertData& insert) const {
  const sql::OnConflictData& conflict = *insert.on_conflict;
  writer.Write(" ON CONFLICT");
  if (!conflict.target.empty()) {
    writer.Write(" (");
    for (size_t i = 0; i < conflict.target.size(); ++i) {
      if (i > 0) writer.Write(", ");
      writer.WriteIdentifier(conflict.target[i]);
    }
    writer.Write(")");
  }
  if (conflict.do_nothing) {
    writer.Write(" DO NOTHING");
  } else {
    if (conflict.target.empty()) {
      writer.Fail(absl::InvalidArgumentError(absl::StrCat(
          "INSERT INTO ", insert.table.name(), ": ON CONFLICT DO UPDATE needs conflict columns")));
    }
    writer.Write(" DO UPDATE SET ");
    for (size_t i = 0; i < conflict.updates.size(); ++i) {
      if (i > 0) writer.Write(", ");
      writer.WriteIdentifier(conflict.updates[i].column);
      writer.Write(" = ");
      writer.WriteExpr(conflict.updates[i].value);
    }
    if (!conflict.where.empty()) {
      writer.Write(" WHERE ");
      writer.WriteExpr(conflict.where);
    }
  }
}

ColumnDeclaration Dialect::DeclareColumn(const sql::TableDef&, const sql::ColumnDef& column) const {
  return {.type = TypeName(column.type)};
}

TransactionStatements Dialect::Transaction(const TransactionSpec& spec) const {
  std::string begin = "BEGIN";
  switch (spec.isolation) {
    case TransactionSpec::Isolation::kDefault:
      break;
    case TransactionSpec::Isolation::kReadCommitted:
      begin += " ISOLATION LEVEL READ COMMITTED";
      break;
    case TransactionSpec::Isolation::kRepeatableRead:
      begin += " ISOLATION LEVEL REPEATABLE READ";
      break;
    case TransactionSpec::Isolation::kSerializable:
      begin += " ISOLATION LEVEL SERIALIZABLE";
      break;
  }
  if (spec.read_only) begin += " READ ONLY";
  return {.begin = std::move(begin)};
}

void Dialect::WriteLimitOffset(SqlWriter& writer, const Expr& limit, const Expr& offset) const {
  if (!limit.empty()) {
    writer.Write(" LIMIT ");
    writer.WriteExpr(limit);
  }
  if (!offset.empty()) {
    writer.Write(" OFFSET ");
    writer.WriteExpr(offset);
  }
}

}  // namespace duo::dialect
