#include "duo/dialect/postgres/dialect.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "duo/sql/json.h"

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

// A SQL string literal: 'it''s'.
std::string QuoteLiteral(absl::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') quoted.push_back('\'');
    quoted.push_back(c);
  }
  quoted.push_back('\'');
  return quoted;
}

// `expr`, read as jsonb: a column DuoORM declares (SqlType::Json is jsonb)
// as it is, so that a GIN index on it serves @>; anything else cast, so
// that a json column or a text expression works too.
bool IsJsonbColumn(const sql::Expr& expr) {
  const sql::ExprNode& node = expr.node();
  return node.kind == sql::ExprKind::kColumn && node.type.kind == sql::SqlType::Kind::kJson;
}

void WriteJsonb(SqlWriter& writer, const sql::Expr& expr) {
  if (IsJsonbColumn(expr)) {
    writer.WriteExpr(expr, SqlWriter::kAtom);
    return;
  }
  writer.Write("CAST(");
  writer.WriteExpr(expr);
  writer.Write(" AS jsonb)");
}

// The document followed by `-> step` for each of the node's steps: a key
// as text, an index as integer. Spelled out per step (rather than #> with
// a text[] path) because #> reads a numeric step as an index of an array
// and as a key of an object alike, where json.h's steps keep the two
// apart; the casts pick jsonb's -> (text) or -> (integer) whatever type the
// driver binds.
void WritePath(SqlWriter& writer, const sql::ExprNode& node) {
  writer.Write("(");
  WriteJsonb(writer, node.args[0]);
  for (size_t i = 0; i < node.name.size(); ++i) {
    writer.Write(" -> CAST(");
    writer.WriteExpr(node.args[i + 1]);
    writer.Write(node.name[i] == sql::kJsonIndexStep ? " AS integer)" : " AS text)");
  }
  writer.Write(")");
}

// The bound operand of an array operator, cast to the array column's own
// type when known: the driver types an array parameter from its values
// (bigint[] for integers), and integer[] @> bigint[] has no operator.
void WriteArrayOperand(SqlWriter& writer, const sql::Expr& array, const sql::Expr& operand,
                       const Dialect& dialect) {
  const sql::ExprNode& column = array.node();
  if (column.kind == sql::ExprKind::kColumn && column.type.kind == sql::SqlType::Kind::kArray) {
    writer.Write("CAST(");
    writer.WriteExpr(operand);
    writer.Write(absl::StrCat(" AS ", dialect.TypeName(column.type), ")"));
  } else {
    writer.WriteExpr(operand, SqlWriter::kAtom);
  }
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

  void WriteJson(SqlWriter& writer, const sql::ExprNode& node) const override {
    using sql::ExprOp;
    switch (node.op) {
      // jsonb_path_query_first(v, 'strict $ ? (...)') is v when its type is
      // the one asked for and NULL otherwise, reading v once (a CASE would
      // bind the path's values twice); #>> '{}' is a JSON string's text or
      // a number's digits. Strict, so that an array is not searched.
      case ExprOp::kJsonText:
        writer.Write("(jsonb_path_query_first(");
        WritePath(writer, node);
        writer.Write(", 'strict $ ? (@.type() == \"string\")') #>> '{}')");
        return;
      case ExprOp::kJsonNumber:
        writer.Write("CAST(jsonb_path_query_first(");
        WritePath(writer, node);
        writer.Write(", 'strict $ ? (@.type() == \"number\")') #>> '{}' AS double precision)");
        return;
      // -> (text) is NULL for a missing key and for anything but an object
      // (where ? would also find an array's string elements); a key holding
      // JSON null gives the jsonb null, which IS NOT NULL.
      // A key of a jsonb column's top level is asked with ? instead, which a
      // GIN index on the column serves (sql::IndexDef::method), and the
      // object test keeps an array's string elements out.
      case ExprOp::kJsonHasKey:
        if (node.name.size() == 1 && IsJsonbColumn(node.args[0])) {
          writer.Write("(");
          writer.WriteExpr(node.args[0], SqlWriter::kAtom);
          writer.Write(" ? CAST(");
          writer.WriteExpr(node.args[1]);
          writer.Write(" AS text) AND jsonb_typeof(");
          writer.WriteExpr(node.args[0]);
          writer.Write(") = 'object')");
          return;
        }
        WritePath(writer, node);
        writer.Write(" IS NOT NULL");
        return;
      case ExprOp::kJsonContains:
        WriteJsonb(writer, node.args[0]);
        writer.Write(" @> CAST(");
        writer.WriteExpr(node.args[1]);
        writer.Write(" AS jsonb)");
        return;
      case ExprOp::kArrayContains:
      case ExprOp::kArrayOverlaps:
        writer.WriteExpr(node.args[0], SqlWriter::kAtom);
        writer.Write(node.op == ExprOp::kArrayContains ? " @> " : " && ");
        WriteArrayOperand(writer, node.args[0], node.args[1], *this);
        return;
      case ExprOp::kArrayHas:
        writer.WriteExpr(node.args[1], SqlWriter::kConcat);
        writer.Write(" = ANY(");
        writer.WriteExpr(node.args[0]);
        writer.Write(")");
        return;
      case ExprOp::kArrayLength:
        writer.Write("cardinality(");
        writer.WriteExpr(node.args[0]);
        writer.Write(")");
        return;
      default:
        Dialect::WriteJson(writer, node);
    }
  }

  ColumnDeclaration DeclareColumn(const sql::TableDef& table,
                                  const sql::ColumnDef& column) const override {
    ColumnDeclaration declaration = Dialect::DeclareColumn(table, column);
    if (column.autoincrement) declaration.type += " GENERATED BY DEFAULT AS IDENTITY";
    return declaration;
  }

  // CREATE TYPE "name" AS ENUM ('a', 'b'), the labels in order. There is
  // no CREATE TYPE IF NOT EXISTS: a DO block leaves an existing type of
  // that name as it is (duo-migrate compares labels; CreateTables is for
  // tests and prototypes).
  std::vector<std::string> CreateEnumType(const sql::SqlType& type,
                                          bool if_not_exists) const override {
    std::string labels;
    for (const std::string& label : type.labels) {
      absl::StrAppend(&labels, labels.empty() ? "" : ", ", QuoteLiteral(label));
    }
    std::string create = absl::StrCat("CREATE TYPE ", TypeName(type), " AS ENUM (", labels, ")");
    if (!if_not_exists) return {create};
    return {absl::StrCat("DO $duo$ BEGIN ", create,
                         "; EXCEPTION WHEN duplicate_object THEN NULL; END $duo$")};
  }

  // The protocol carries a 16-bit parameter count.
  int64_t MaxBindParameters() const override { return 65535; }
  // Its built-in access methods, which are the ones DDL accepts at all
  // (CheckIndexMethod, ddl.cc).
  bool SupportsIndexMethod(absl::string_view /*method*/) const override { return true; }

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
