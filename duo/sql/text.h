// Raw SQL with named bound parameters: the last resort of the IR.
//
//   Text("SELECT id FROM orders WHERE total_amount > :min AND status = :status")
//       .Bind("min", 100)
//       .Bind("status", "completed");
//
// `:name` is a parameter (letters, digits, underscore). Left alone, since a
// ':' there is text, not a parameter: `::` (a PostgreSQL cast), and anything
// inside a string ('...', PostgreSQL's E'...' with backslash escapes and
// dollar-quoted $$...$$ and $tag$...$tag$), a quoted identifier ("...") or a
// comment (-- to the end of the line, /* ... */, nested as on PostgreSQL).
// Each parameter becomes a placeholder of the target dialect, and its value
// is bound, never spliced. A Text is usable as a whole statement or,
// converted to Expr, as part of one. Compiling a Text with an unbound
// parameter fails, naming it.

#ifndef DUO_SQL_TEXT_H_
#define DUO_SQL_TEXT_H_

#include <string>

#include "absl/strings/string_view.h"
#include "duo/sql/expr.h"
#include "duo/sql/value.h"

namespace duo::sql {

class Text : public Expr {
 public:
  explicit Text(absl::string_view sql);

  // Binds every occurrence of :name. Binding a name the text does not
  // contain is recorded and makes compiling fail, naming it: a typo must not
  // leave a parameter silently unbound.
  [[nodiscard]] Text Bind(absl::string_view name, Value value) const;

  // The fragment as an expression (Text is one: usable in Where, in a
  // select list, with && and ||).
  const Expr& expr() const { return *this; }

 private:
  explicit Text(Expr expr) : Expr(std::move(expr)) {}
};

}  // namespace duo::sql

#endif  // DUO_SQL_TEXT_H_
