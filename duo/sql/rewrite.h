// Rewrites of expression trees that keep their meaning under a new scope.
//
// The ORM builds relationship subqueries over a table the outer query may
// already name (a model related to itself, two relationships into one
// table). Each such subquery gives its table an alias; a condition written
// against the table's name must then be moved onto that alias, or it would
// silently bind to the outer row.

#ifndef DUO_SQL_REWRITE_H_
#define DUO_SQL_REWRITE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/sql/expr.h"

namespace duo::sql {

// Returns `expr` with every column and star qualified by `from` qualified by
// `to` instead, the way SQL scoping resolves them: references inside a
// subquery follow too, unless that subquery binds the name `from` itself
// (then they mean its own rows). Unchanged subtrees are shared, not copied.
//
// Raw SQL text (sql::Text) cannot be rewritten: when a text fragment that
// would be in scope mentions `from`, the result is InvalidArgument naming
// the table, rather than a condition that might mean another row.
absl::StatusOr<Expr> Requalify(const Expr& expr, absl::string_view from, absl::string_view to);

}  // namespace duo::sql

#endif  // DUO_SQL_REWRITE_H_
