#include "duo/model/schema.h"

#include <string>
#include <utility>

namespace duo {

ColumnOption PrimaryKey() {
  return ColumnOption([](model_internal::ColumnSpec& spec) { spec.def.primary_key = true; });
}

ColumnOption AutoIncrement(bool enabled) {
  return ColumnOption(
      [enabled](model_internal::ColumnSpec& spec) { spec.autoincrement = enabled; });
}

ColumnOption Unique() {
  return ColumnOption([](model_internal::ColumnSpec& spec) { spec.def.unique = true; });
}

ColumnOption Index(std::string name) {
  return ColumnOption([name = std::move(name)](model_internal::ColumnSpec& spec) {
    spec.index = true;
    spec.index_name = name;
  });
}

ColumnOption UniqueIndex(std::string name) {
  return ColumnOption([name = std::move(name)](model_internal::ColumnSpec& spec) {
    spec.unique_index = true;
    spec.index_name = name;
  });
}

ColumnOption Length(int length) {
  return ColumnOption([length](model_internal::ColumnSpec& spec) {
    spec.def.type = sql::SqlType::Varchar(length);
  });
}

ColumnOption Precision(int precision, int scale) {
  return ColumnOption([precision, scale](model_internal::ColumnSpec& spec) {
    spec.def.type = sql::SqlType::Numeric(precision, scale);
  });
}

ColumnOption Type(sql::SqlType type) {
  return ColumnOption(
      [type = std::move(type)](model_internal::ColumnSpec& spec) { spec.def.type = type; });
}

ColumnOption ServerDefault(sql::Expr value) {
  return ColumnOption([value = std::move(value)](model_internal::ColumnSpec& spec) {
    spec.def.server_default = value;
  });
}

ColumnOption Nullable(bool nullable) {
  return ColumnOption(
      [nullable](model_internal::ColumnSpec& spec) { spec.def.nullable = nullable; });
}

ColumnOption ForeignKey(std::string target, ForeignKeyOptions options) {
  return ColumnOption(
      [target = std::move(target), options = std::move(options)](model_internal::ColumnSpec& spec) {
        sql::ForeignKeyDef fk;
        fk.name = options.name;
        fk.on_delete = options.on_delete;
        fk.on_update = options.on_update;
        spec.foreign_key = std::move(fk);
        spec.foreign_key_target = target;
      });
}

ColumnOption CreatedAt() {
  return ColumnOption(
      [](model_internal::ColumnSpec& spec) { spec.timestamp = TimestampRole::kCreatedAt; });
}

ColumnOption UpdatedAt() {
  return ColumnOption(
      [](model_internal::ColumnSpec& spec) { spec.timestamp = TimestampRole::kUpdatedAt; });
}

ColumnOption Version() {
  return ColumnOption([](model_internal::ColumnSpec& spec) { spec.version = true; });
}

}  // namespace duo
