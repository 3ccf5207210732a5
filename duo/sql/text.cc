#include "duo/sql/text.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace duo::sql {
namespace {

bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Splits `sql` around :name parameters. Quoted strings and identifiers may
// contain colons ('12:30'), and `::` is PostgreSQL's cast: neither is one.
TextParts Parse(absl::string_view sql) {
  TextParts parts;
  std::string piece;
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // Copy the quoted run; a doubled quote stays inside it.
      const size_t start = i++;
      while (i < sql.size()) {
        if (sql[i] == c) {
          if (i + 1 < sql.size() && sql[i + 1] == c) {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
      absl::StrAppend(&piece, sql.substr(start, i - start));
      continue;
    }
    if (c == ':' && i + 1 < sql.size() && sql[i + 1] == ':') {
      piece.append("::");
      i += 2;
      continue;
    }
    if (c == ':' && i + 1 < sql.size() && IsNameChar(sql[i + 1]) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      size_t end = i + 1;
      while (end < sql.size() && IsNameChar(sql[end])) ++end;
      parts.pieces.push_back(std::move(piece));
      piece.clear();
      parts.names.emplace_back(sql.substr(i + 1, end - i - 1));
      i = end;
      continue;
    }
    piece.push_back(c);
    ++i;
  }
  parts.pieces.push_back(std::move(piece));
  return parts;
}

}  // namespace

Text::Text(absl::string_view sql) {
  auto parts = std::make_shared<TextParts>(Parse(sql));
  // Every occurrence starts unbound (an empty Expr).
  std::vector<Expr> args(parts->names.size());
  static_cast<Expr&>(*this) =
      Expr(MakeNode({.kind = ExprKind::kText, .args = std::move(args), .text = std::move(parts)}));
}

Text Text::Bind(absl::string_view name, Value value) const {
  ExprNode node = this->node();
  const Expr bound = Param(std::move(value));
  bool found = false;
  for (size_t i = 0; i < node.text->names.size(); ++i) {
    if (node.text->names[i] == name) {
      node.args[i] = bound;
      found = true;
    }
  }
  if (!found) {
    // Recorded as a parameter name the text lacks; the compiler reports it.
    auto parts = std::make_shared<TextParts>(*node.text);
    parts->unknown_bindings.emplace_back(name);
    node.text = std::move(parts);
  }
  return Text(Expr(MakeNode(std::move(node))));
}

}  // namespace duo::sql
