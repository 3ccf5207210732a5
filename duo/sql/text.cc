#include "duo/sql/text.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace duo::sql {
namespace {

bool IsNameChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// PostgreSQL's identifiers and dollar-quote tags also take bytes of
// multibyte characters and, after the first character, '$'.
bool IsIdentifierChar(char c) {
  return IsNameChar(c) || c == '$' || static_cast<unsigned char>(c) >= 0x80;
}

// The end of the run starting at `i`, where sql[i] is the opening quote
// `quote` (' or "): a doubled quote stays inside; with `backslash_escapes`
// (PostgreSQL's E'...') so does any character after a backslash. An
// unterminated run ends with the text.
size_t QuotedEnd(absl::string_view sql, size_t i, char quote, bool backslash_escapes) {
  ++i;
  while (i < sql.size()) {
    const char c = sql[i];
    if (backslash_escapes && c == '\\') {
      i += 2;
      continue;
    }
    if (c == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();
}

// The length of the dollar-quote delimiter ($$ or $tag$) at `i`, or 0 when
// sql[i] = '$' starts none: a tag is an identifier without '$' that does
// not start with a digit ($1 is a positional parameter).
size_t DollarTagLength(absl::string_view sql, size_t i) {
  size_t end = i + 1;
  if (end < sql.size() && absl::ascii_isdigit(static_cast<unsigned char>(sql[end]))) return 0;
  while (end < sql.size() && sql[end] != '$' && IsIdentifierChar(sql[end])) ++end;
  if (end >= sql.size() || sql[end] != '$') return 0;
  return end + 1 - i;
}

// The end of the comment starting at `i` ("--" or "/*"), or `i` when none
// starts there. Block comments nest, as on PostgreSQL (SQLite rejects
// nested ones, so no text it runs differs).
size_t CommentEnd(absl::string_view sql, size_t i) {
  if (sql.substr(i, 2) == "--") {
    // PostgreSQL ends a line comment at \r as well as \n.
    const size_t end = sql.find_first_of("\r\n", i + 2);
    return end == absl::string_view::npos ? sql.size() : end;
  }
  if (sql.substr(i, 2) != "/*") return i;
  int depth = 0;
  while (i < sql.size()) {
    if (sql.substr(i, 2) == "/*") {
      ++depth;
      i += 2;
    } else if (sql.substr(i, 2) == "*/") {
      i += 2;
      if (--depth == 0) return i;
    } else {
      ++i;
    }
  }
  return sql.size();
}

// The end of the literal, quoted identifier or comment starting at `i`, or
// `i` when none starts there. Nothing inside one is a parameter: standard
// strings '...', escape strings E'...' (backslash escapes), quoted
// identifiers "...", dollar-quoted strings $$...$$ and $tag$...$tag$, and
// comments. The rules are PostgreSQL's; SQLite's quoting is a subset of
// them for what can hide a ':'.
size_t OpaqueEnd(absl::string_view sql, size_t i) {
  const char c = sql[i];
  // A letter glued to the end of a name is part of it: only a standalone
  // E (or e) prefixes an escape string.
  const bool name_before = i > 0 && IsIdentifierChar(sql[i - 1]);
  if (c == '\'' || c == '"') return QuotedEnd(sql, i, c, /*backslash_escapes=*/false);
  if ((c == 'E' || c == 'e') && !name_before && i + 1 < sql.size() && sql[i + 1] == '\'') {
    return QuotedEnd(sql, i + 1, '\'', /*backslash_escapes=*/true);
  }
  if (c == '$' && !name_before) {
    const size_t tag_length = DollarTagLength(sql, i);
    if (tag_length == 0) return i;
    const absl::string_view tag = sql.substr(i, tag_length);
    const size_t close = sql.find(tag, i + tag_length);
    return close == absl::string_view::npos ? sql.size() : close + tag_length;
  }
  if (c == '-' || c == '/') return CommentEnd(sql, i);
  return i;
}

// Splits `sql` around :name parameters. Literals, quoted identifiers and
// comments may contain colons ('12:30'), and `::` is PostgreSQL's cast:
// neither is one.
TextParts Parse(absl::string_view sql) {
  TextParts parts;
  std::string piece;
  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    if (const size_t end = OpaqueEnd(sql, i); end > i) {
      // Copied unchanged. A QuotedEnd past the text (a trailing backslash)
      // stops at its end.
      const size_t stop = std::min(end, sql.size());
      piece.append(sql.data() + i, stop - i);
      i = stop;
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
