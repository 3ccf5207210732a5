#include "duo/sql/rewrite.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "duo/sql/functions.h"
#include "duo/sql/select.h"

namespace duo::sql {
namespace {

class Requalifier {
 public:
  Requalifier(absl::string_view from, absl::string_view to) : from_(from), to_(to) {}

  const absl::Status& status() const { return status_; }

  Expr Visit(const Expr& expr) {
    if (expr.empty() || !status_.ok()) return expr;
    const ExprNode& node = expr.node();
    if ((node.kind == ExprKind::kColumn || node.kind == ExprKind::kStar) &&
        node.qualifier == from_) {
      ExprNode renamed = node;
      renamed.qualifier = to_;
      return Expr(MakeNode(std::move(renamed)));
    }
    if (node.kind == ExprKind::kText && MentionsFrom(*node.text)) {
      status_ = absl::InvalidArgumentError(absl::StrCat(
          "raw SQL text in a condition on the related table \"", from_,
          "\" names that table; DuoORM gives the related rows the alias \"", to_,
          "\" in this query, so write the condition with typed columns (or name the alias)"));
      return expr;
    }
    bool changed = false;
    std::vector<Expr> args;
    args.reserve(node.args.size());
    for (const Expr& arg : node.args) {
      Expr visited = Visit(arg);
      changed = changed || visited.node_ptr() != arg.node_ptr();
      args.push_back(std::move(visited));
    }
    std::shared_ptr<const SelectData> subquery = node.subquery;
    if (subquery != nullptr) {
      subquery = VisitSelect(node.subquery);
      changed = changed || subquery != node.subquery;
    }
    std::shared_ptr<const WindowSpec> window = node.window;
    if (window != nullptr) {
      WindowSpec spec = *window;
      bool window_changed = VisitAll(spec.partition_by) | VisitOrder(spec.order_by);
      if (window_changed) window = std::make_shared<const WindowSpec>(std::move(spec));
      changed = changed || window_changed;
    }
    if (!changed || !status_.ok()) return expr;
    ExprNode copy = node;
    copy.args = std::move(args);
    copy.subquery = std::move(subquery);
    copy.window = std::move(window);
    return Expr(MakeNode(std::move(copy)));
  }

 private:
  // Whether a text fragment names the table as a word (not inside a longer
  // identifier), in any case: SQL folds unquoted names.
  bool MentionsFrom(const TextParts& text) const {
    const std::string needle = absl::AsciiStrToLower(from_);
    for (const std::string& piece : text.pieces) {
      const std::string haystack = absl::AsciiStrToLower(piece);
      for (size_t at = haystack.find(needle); at != std::string::npos;
           at = haystack.find(needle, at + 1)) {
        auto word = [&](size_t i) {
          const char c = haystack[i];
          return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
        };
        const size_t end = at + needle.size();
        if ((at == 0 || !word(at - 1)) && (end == haystack.size() || !word(end))) return true;
      }
    }
    return false;
  }

  bool VisitAll(std::vector<Expr>& exprs) {
    bool changed = false;
    for (Expr& expr : exprs) {
      Expr visited = Visit(expr);
      changed = changed || visited.node_ptr() != expr.node_ptr();
      expr = std::move(visited);
    }
    return changed;
  }

  bool VisitOrder(std::vector<OrderTerm>& terms) {
    bool changed = false;
    for (OrderTerm& term : terms) {
      Expr visited = Visit(term.expr);
      changed = changed || visited.node_ptr() != term.expr.node_ptr();
      term.expr = std::move(visited);
    }
    return changed;
  }

  bool Binds(const FromItem& item) const {
    switch (item.kind()) {
      case FromItem::Kind::kTable:
      case FromItem::Kind::kSubquery:
        return item.ref_name() == from_;
      case FromItem::Kind::kJoin:
        return Binds(item.join().left) || Binds(item.join().right);
    }
    return false;
  }

  // `scoped`: whether names of the enclosing select reach this item's ON
  // conditions (false when that select binds `from` itself).
  FromItem VisitFrom(const FromItem& item, bool scoped, bool& changed) {
    switch (item.kind()) {
      case FromItem::Kind::kTable:
        return item;
      case FromItem::Kind::kSubquery: {
        // A derived table does not see its siblings, only outer queries.
        std::shared_ptr<const SelectData> query = VisitSelect(item.subquery());
        if (query == item.subquery()) return item;
        changed = true;
        return FromItem(DerivedTable(std::move(query), item.alias()));
      }
      case FromItem::Kind::kJoin: {
        const JoinData& join = item.join();
        bool join_changed = false;
        FromItem left = VisitFrom(join.left, scoped, join_changed);
        FromItem right = VisitFrom(join.right, scoped, join_changed);
        Expr on = join.on;
        if (scoped) {
          on = Visit(join.on);
          join_changed = join_changed || on.node_ptr() != join.on.node_ptr();
        }
        if (!join_changed) return item;
        changed = true;
        return FromItem::MakeJoin(std::move(left), std::move(right), join.kind, std::move(on));
      }
    }
    return item;
  }

  std::shared_ptr<const SelectData> VisitSelect(const std::shared_ptr<const SelectData>& data) {
    if (data == nullptr || !status_.ok()) return data;
    SelectData copy = *data;
    bool changed = false;
    for (CteData& cte : copy.ctes) {
      std::shared_ptr<const SelectData> query = VisitSelect(cte.query);
      changed = changed || query != cte.query;
      cte.query = std::move(query);
    }
    for (std::shared_ptr<const SelectData>& member : copy.set_members) {
      std::shared_ptr<const SelectData> visited = VisitSelect(member);
      changed = changed || visited != member;
      member = std::move(visited);
    }
    bool binds = false;
    for (const FromItem& item : copy.from) binds = binds || Binds(item);
    for (const CteData& cte : copy.ctes) binds = binds || cte.name == from_;
    const bool scoped = !binds;
    for (FromItem& item : copy.from) item = VisitFrom(item, scoped, changed);
    if (scoped) {
      changed = VisitAll(copy.distinct_on) | changed;
      changed = VisitAll(copy.columns) | changed;
      changed = VisitAll(copy.where) | changed;
      changed = VisitAll(copy.group_by) | changed;
      changed = VisitAll(copy.having) | changed;
      changed = VisitOrder(copy.order_by) | changed;
      Expr limit = Visit(copy.limit);
      Expr offset = Visit(copy.offset);
      changed = changed || limit.node_ptr() != copy.limit.node_ptr() ||
                offset.node_ptr() != copy.offset.node_ptr();
      copy.limit = std::move(limit);
      copy.offset = std::move(offset);
    }
    if (!changed) return data;
    return std::make_shared<const SelectData>(std::move(copy));
  }

  const std::string from_;
  const std::string to_;
  absl::Status status_;
};

}  // namespace

absl::StatusOr<Expr> Requalify(const Expr& expr, absl::string_view from, absl::string_view to) {
  Requalifier requalifier(from, to);
  Expr result = requalifier.Visit(expr);
  if (!requalifier.status().ok()) return requalifier.status();
  return result;
}

}  // namespace duo::sql
