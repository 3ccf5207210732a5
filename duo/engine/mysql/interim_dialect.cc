#include "duo/engine/mysql/interim_dialect.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace duo::engine::mysql_internal {
namespace {

class InterimMysqlDialectImpl final : public dialect::Dialect {
 public:
  absl::string_view name() const override { return "mysql"; }

  void WritePlaceholder(dialect::SqlWriter& writer, int) const override { writer.Write("?"); }

  std::string TypeName(const sql::SqlType& type) const override {
    using Kind = sql::SqlType::Kind;
    switch (type.kind) {
      case Kind::kUnspecified:
        return "";
      case Kind::kBoolean:
        return "BOOLEAN";
      case Kind::kSmallInt:
        return "SMALLINT";
      case Kind::kInteger:
        return "INT";
      case Kind::kBigInt:
        return "BIGINT";
      case Kind::kReal:
        return "FLOAT";
      case Kind::kDouble:
        return "DOUBLE";
      case Kind::kNumeric:
        return absl::StrCat("DECIMAL(", type.precision, ", ", type.scale, ")");
      case Kind::kText:
        return "LONGTEXT";
      case Kind::kVarchar:
        return absl::StrCat("VARCHAR(", type.length, ")");
      case Kind::kBlob:
        return "LONGBLOB";
      // UTC, microseconds: the driver's session runs with time_zone +00:00.
      case Kind::kTimestamp:
        return "DATETIME(6)";
      case Kind::kDate:
        return "DATE";
      case Kind::kJson:
        return "JSON";
      case Kind::kArray:
        return "";  // MySQL has no arrays; the real dialect refuses them
      case Kind::kCustom:
        return type.custom;
      case Kind::kUuid:
        return "CHAR(32)";
      case Kind::kTime:
        return "TIME(6)";
      // SQLAlchemy's Interval where there is none: 1970-01-01 plus it.
      case Kind::kInterval:
        return "DATETIME(6)";
      case Kind::kEnum:
        return "VARCHAR(255)";
    }
    return "";
  }

  void WriteRegex(dialect::SqlWriter& writer, const sql::ExprNode& regex) const override {
    if (regex.has(sql::kNegated)) writer.Write("NOT (");
    writer.WriteExpr(regex.args[0], dialect::SqlWriter::kConcat);
    writer.Write(" REGEXP ");
    writer.WriteExpr(regex.args[1], dialect::SqlWriter::kConcat);
    if (regex.has(sql::kNegated)) writer.Write(")");
  }

  void WriteCurrentTimestamp(dialect::SqlWriter& writer) const override {
    writer.Write("CURRENT_TIMESTAMP(6)");
  }

  void WriteDistinctOn(dialect::SqlWriter& writer, const std::vector<sql::Expr>&) const override {
    writer.Unsupported("DISTINCT ON");
  }

  bool ParenthesizesSetMembers() const override { return true; }
  bool NumberedPlaceholders() const override { return false; }
  // COM_STMT_PREPARE reports the parameter count in two bytes.
  int64_t MaxBindParameters() const override { return 65535; }
};

}  // namespace

const dialect::Dialect& InterimMysqlDialect() {
  static const InterimMysqlDialectImpl* const dialect = new InterimMysqlDialectImpl();
  return *dialect;
}

}  // namespace duo::engine::mysql_internal
