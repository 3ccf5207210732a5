#include "duo/sql/table.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace duo::sql {

const ColumnDef* TableDef::FindColumn(absl::string_view column_name) const {
  for (const ColumnDef& column : columns) {
    if (column.name == column_name) return &column;
  }
  return nullptr;
}

std::vector<std::string> TableDef::PrimaryKeyColumns() const {
  if (!primary_key.empty()) return primary_key;
  std::vector<std::string> key;
  for (const ColumnDef& column : columns) {
    if (column.primary_key) key.push_back(column.name);
  }
  return key;
}

Table::Table(std::string name, std::string schema) {
  auto def = std::make_shared<TableDef>(std::move(name));
  def->schema = std::move(schema);
  def_ = std::move(def);
}

Table::Table(TableDef def) : def_(std::make_shared<const TableDef>(std::move(def))) {}

Table::Table(std::shared_ptr<const TableDef> def) : def_(std::move(def)) {}

Table Table::Alias(std::string alias) const {
  Table aliased = *this;
  aliased.alias_ = std::move(alias);
  return aliased;
}

Expr Table::C(absl::string_view column) const {
  const ColumnDef* def = def_->FindColumn(column);
  return ColumnRef(ref_name(), std::string(column), def != nullptr ? def->type : SqlType());
}

std::vector<Expr> Table::Columns() const {
  std::vector<Expr> columns;
  columns.reserve(def_->columns.size());
  for (const ColumnDef& column : def_->columns) {
    columns.push_back(ColumnRef(ref_name(), column.name, column.type));
  }
  return columns;
}

}  // namespace duo::sql
