#include "duo/dialect/postgres/dialect.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace duo::dialect {
namespace {

// A lowercase identifier is spelled bare (as format_type() prints it);
// anything else quoted, "Mood" or "my mood". A schema-qualified name
// ("public.mood") is spelled as given.
std::string QuoteTypeName(const std::string& name) {
  bool bare = !name.empty() && !(name[0] >= '0' && name[0] <= '9');
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')) bare = false;
  }
  if (bare) return name;
  std::string quoted = "\"";
  for (const char c : name) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

class PostgresDialectImpl final : public Dialect {
 public:
  absl::string_view name() const override { return "postgresql"; }

  void WritePlaceholder(SqlWriter& writer, int position) const override {
    writer.Write(absl::StrCat("$", position));
  }

  std::string TypeName(const sql::SqlType& type) const override {
    using Kind = sql::SqlType::Kind;
    switch (type.kind) {
      case Kind::kUnspecified:
        return "";
      case Kind::kBoolean:
        return "boolean";
      case Kind::kSmallInt:
        return "smallint";
      case Kind::kInteger:
        return "integer";
      case Kind::kBigInt:
        return "bigint";
      case Kind::kReal:
        return "real";
      case Kind::kDouble:
        return "double precision";
      case Kind::kNumeric:
        return absl::StrCat("numeric(", type.precision, ", ", type.scale, ")");
      case Kind::kText:
        return "text";
      case Kind::kVarchar:
        return absl::StrCat("varchar(", type.length, ")");
      case Kind::kBlob:
        return "bytea";
      case Kind::kTimestamp:
        return "timestamp with time zone";
      case Kind::kDate:
        return "date";
      case Kind::kJson:
        return "jsonb";
      case Kind::kArray: {
        sql::SqlType element;
        element.kind = type.element;
        return absl::StrCat(TypeName(element), "[]");
      }
      case Kind::kCustom:
        return type.custom;
      case Kind::kUuid:
        return "uuid";
      case Kind::kTime:
        return "time without time zone";
      case Kind::kInterval:
        return "interval";
      // The type's name as declared: an identifier, quoted only when it
      // needs to be, as CREATE TYPE wrote it.
      case Kind::kEnum:
        return QuoteTypeName(type.custom);
    }
    return "";
  }

  void WriteRegex(SqlWriter& writer, const sql::ExprNode& regex) const override {
    // ~ shares its precedence with || and groups left to right: anything
    // but an atom is parenthesized.
    writer.WriteExpr(regex.args[0], SqlWriter::kAtom);
    writer.Write(regex.has(sql::kNegated) ? " !~" : " ~");
    writer.Write(regex.has(sql::kCaseInsensitive) ? "* " : " ");
    writer.WriteExpr(regex.args[1], SqlWriter::kAtom);
  }

  void WriteCurrentTimestamp(SqlWriter& writer) const override {
    writer.Write("CURRENT_TIMESTAMP");
  }

  bool ParenthesizesSetMembers() const override { return true; }
  bool NumberedPlaceholders() const override { return true; }

  // PostgreSQL takes at most 65,535 parameters per statement, and an inline
  // list costs SQL text, parsing and a prepared statement per length. Short
  // lists stay inline nonetheless: there the server types each value from
  // the column (text against an enum, uuid or citext column works), where
  // an array parameter has one element type from the values (text[]).
  size_t MaxInlineInList() const override { return kPostgresMaxInlineInList; }
};

}  // namespace

const Dialect& PostgresDialect() {
  static const PostgresDialectImpl* const dialect = new PostgresDialectImpl();
  return *dialect;
}

}  // namespace duo::dialect
