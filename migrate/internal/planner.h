// The planner the per-database implementations share (Alembic's
// DefaultImpl): it turns a SchemaDiff into steps in a fixed order (enum
// types, constraints dropped, tables created, tables altered or rebuilt,
// constraints added, tables dropped), writing what standard SQL spells
// alike, and leaves what differs to the database's subclass: types the
// database keeps apart from tables, rebuilding a table instead of altering
// it, changing a column's type or identity, what to say about views.
//
// A Planner is used once, by one thread: Run() consumes it.

#ifndef MIGRATE_INTERNAL_PLANNER_H_
#define MIGRATE_INTERNAL_PLANNER_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "duo/dialect/compiler.h"
#include "duo/sql/table.h"
#include "migrate/diff.h"
#include "migrate/types.h"

namespace duo::migrate_internal {

using migrate::ColumnChange;
using migrate::LiveSchema;
using migrate::Plan;
using migrate::SchemaDiff;
using migrate::Step;
using migrate::TableChange;
using migrate::ViewDef;

// "name", quoted as DDL quotes identifiers.
std::string Q(absl::string_view name);
// "a", "b"
std::string ColumnList(const std::vector<std::string>& columns);
// "table"."column"
std::string Qualified(absl::string_view table, absl::string_view column);
// A SQL string literal: DDL cannot bind, and the names it quotes come from
// the schema, not from input.
std::string StringLiteral(absl::string_view text);
// True when every value of `from` fits `to` unchanged.
bool IsWidening(const sql::SqlType& from, const sql::SqlType& to);
bool IsIntegerKind(sql::SqlType::Kind kind);
bool IsRealKind(sql::SqlType::Kind kind);

class Planner {
 public:
  Planner(const dialect::Dialect& dialect, const LiveSchema& live);
  virtual ~Planner() = default;
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;

  absl::StatusOr<Plan> Run(const SchemaDiff& diff) &&;

 protected:
  // ---- What each database decides.

  // Steps for the enum types `diff` creates or extends (created_enums,
  // added_enum_labels), before the tables that use them. Only a database
  // whose MigrateImpl::DiffTypes reports them has any; the default refuses
  // them.
  virtual absl::Status PlanEnumTypes(const SchemaDiff& diff);
  // Whether `change` is made by rebuilding the table rather than altering
  // it in place. The default: never.
  virtual bool NeedsRebuild(const TableChange& /*change*/) const { return false; }
  // The step that rebuilds a table for `change` (when NeedsRebuild).
  virtual absl::Status Rebuild(const TableChange& change);
  // How the plan treats the views over a table it alters, rebuilds or
  // drops, for the warning that names them: the words after "which this
  // revision ".
  virtual std::string ViewsNote() const = 0;
  // The statements that change `column` of `table` to `to` (a type change
  // with its conversion of the rows). The default refuses it.
  virtual absl::StatusOr<std::vector<std::string>> AlterColumnType(const sql::TableDef& table,
                                                                   absl::string_view column,
                                                                   const sql::SqlType& to);
  // The statements that make `column` generate its values on insert, or
  // stop it (`generated` false). The default refuses it.
  virtual absl::StatusOr<std::vector<std::string>> AlterColumnIdentity(const sql::TableDef& table,
                                                                       absl::string_view column,
                                                                       bool generated);

  // The kinds of constraint a plan drops by name.
  enum class Constraint { kPrimaryKey, kUnique, kForeignKey, kCheck };
  // The statement that drops constraint `name` of `kind` from `table`. The
  // default: standard SQL's DROP CONSTRAINT, for every kind.
  virtual std::string DropConstraintSql(const sql::TableDef& table, Constraint kind,
                                        absl::string_view name) const;
  // The statement that drops index `name` of `table`. The default: DROP
  // INDEX "name" (indexes are named per schema).
  virtual std::string DropIndexSql(const sql::TableDef& table, absl::string_view name) const;
  // Whether adding a NOT NULL column without a default to a table with
  // rows fills it with its type's zero value ('', 0) instead of failing
  // (MySQL's ALTER TABLE does, strict mode or not): the warnings say which.
  virtual bool ZeroFillsAddedNotNullColumns() const { return false; }
  // The steps that change `altered` in place on `table`. The default: one
  // step per aspect (type, nullability, default, identity), each with
  // ALTER COLUMN.
  virtual absl::Status AlterColumn(const sql::TableDef& table, const ColumnChange& altered);

  // ---- For the subclasses.

  // Identifiers quoted as the dialect quotes them: "name", `name`. Members,
  // so that they hide the dialect-neutral free functions in the planners.
  std::string Q(absl::string_view name) const;
  std::string ColumnList(const std::vector<std::string>& columns) const;
  std::string Qualified(absl::string_view table, absl::string_view column) const;

  const dialect::Dialect& dialect() const { return dialect_; }
  const LiveSchema& live() const { return live_; }
  Plan& plan() { return plan_; }
  Step& NewStep(std::string description);
  // A comment for a statement that adds a column it cannot fill (the down
  // step of a dropped column, whose values are gone): NOT NULL without a
  // default fails on a table with rows. Empty when the column can be
  // filled.
  std::string CannotRestoreNote(const sql::TableDef& table, const sql::ColumnDef& column) const;
  // `column` as `table` has it: primary-key columns are NOT NULL.
  static sql::ColumnDef Normalized(sql::ColumnDef column, const sql::TableDef& table);

 private:
  std::vector<const ViewDef*> ViewsOver(const std::set<std::string>& tables) const;
  std::vector<const ViewDef*> ViewsOverRebuilds(const SchemaDiff& diff) const;
  void DropViews(const std::vector<const ViewDef*>& views);
  void RecreateViews(const std::vector<const ViewDef*>& views);
  void Warn(const SchemaDiff& diff);
  std::string PrimaryKeyName(const sql::TableDef& table) const;
  absl::Status CreateTable(const sql::TableDef& table);
  absl::Status DropTable(const sql::TableDef& table);
  std::string AlterTable(const sql::TableDef& table) const;
  absl::StatusOr<std::string> AddConstraintSql(const sql::TableDef& table, absl::string_view name,
                                               absl::string_view definition) const;
  std::string ForeignKeySql(const sql::ForeignKeyDef& fk) const;
  absl::Status DropConstraints(const TableChange& change);
  absl::Status AddConstraints(const TableChange& change);
  absl::Status AlterColumns(const TableChange& change);

  const dialect::Dialect& dialect_;
  const LiveSchema& live_;
  Plan plan_;
};

}  // namespace duo::migrate_internal

#endif  // MIGRATE_INTERNAL_PLANNER_H_
