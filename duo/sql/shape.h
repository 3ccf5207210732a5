// Structural identity of statements, for the compiled-statement cache.
//
// The shape of a statement is everything but its bound values: two
// statements of the same shape compile to the same SQL text. Parameters are
// visited in one canonical order, which ties a compiled statement's
// placeholders to the values of any statement of the same shape.

#ifndef DUO_SQL_SHAPE_H_
#define DUO_SQL_SHAPE_H_

#include <cstddef>
#include <vector>

#include "absl/functional/function_ref.h"
#include "duo/sql/statement.h"

namespace duo::sql {

// Hash of the shape; equal shapes hash equally.
size_t ShapeHash(const Statement& statement);
size_t ShapeHash(const SelectData& select);

// True when the two statements differ at most in their bound values.
bool SameShape(const Statement& a, const Statement& b);

// Calls `visit` for every bound parameter node, in canonical order.
void ForEachParam(const Statement& statement, absl::FunctionRef<void(const ExprNode& param)> visit);

}  // namespace duo::sql

#endif  // DUO_SQL_SHAPE_H_
