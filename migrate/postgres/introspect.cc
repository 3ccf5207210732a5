#include "migrate/postgres/introspect.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "duo/base/status_macros.h"
#include "duo/sql/text.h"
#include "migrate/internal/type_spelling.h"
#include "nlohmann/json.hpp"

namespace duo::migrate {
namespace {

using Kind = sql::SqlType::Kind;

absl::StatusOr<Result> Query(Session& session, sql::Text text) { return session.Execute(text); }

// Built-in types as format_type() spells them.
std::optional<Kind> ScalarKind(absl::string_view name) {
  static const auto* const kPostgres = new std::map<std::string, Kind, std::less<>>{
      {"boolean", Kind::kBoolean},
      {"smallint", Kind::kSmallInt},
      {"integer", Kind::kInteger},
      {"bigint", Kind::kBigInt},
      {"real", Kind::kReal},
      {"double precision", Kind::kDouble},
      {"text", Kind::kText},
      {"bytea", Kind::kBlob},
      {"timestamp with time zone", Kind::kTimestamp},
      {"date", Kind::kDate},
      {"jsonb", Kind::kJson},
      {"uuid", Kind::kUuid},
      {"time without time zone", Kind::kTime},
      {"interval", Kind::kInterval},
  };
  auto it = kPostgres->find(name);
  if (it == kPostgres->end()) return std::nullopt;
  return it->second;
}

constexpr absl::string_view kPostgresSchema =
    "COALESCE(NULLIF(CAST(:schema AS text), ''), current_schema())";

// A column's type: built-in types as format_type() spells them
// ("character varying(20)", "integer[]"); any other type (b, the element
// type for an array) schema-qualified, since format_type() qualifies it only
// when the session's search_path does not find it: the live schema and the
// models' scratch schema are read with different search_paths, and must
// spell one type one way. An explicitly qualified declaration
// ("public.mood") then compares equal to the unqualified one it names.
constexpr absl::string_view kPostgresColumnType =
    "CASE WHEN bn.nspname = 'pg_catalog' THEN format_type(a.atttypid, a.atttypmod) "
    "ELSE quote_ident(bn.nspname) || '.' || quote_ident(b.typname) || "
    "CASE WHEN e.oid IS NULL THEN '' ELSE '[]' END END";

absl::StatusOr<std::vector<std::string>> JsonNames(const Result& result, size_t row, int column) {
  DUO_ASSIGN_OR_RETURN(std::optional<std::string> text,
                       result.Get<std::optional<std::string>>(row, column));
  std::vector<std::string> names;
  if (!text.has_value()) return names;
  nlohmann::json parsed = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) {
    return absl::InternalError(absl::StrCat("unexpected column list from pg_catalog: ", *text));
  }
  for (const nlohmann::json& name : parsed) {
    names.push_back(name.is_string() ? name.get<std::string>() : "(expression)");
  }
  return names;
}

sql::ReferentialAction PostgresAction(absl::string_view code) {
  if (code == "r") return sql::ReferentialAction::kRestrict;
  if (code == "c") return sql::ReferentialAction::kCascade;
  if (code == "n") return sql::ReferentialAction::kSetNull;
  if (code == "d") return sql::ReferentialAction::kSetDefault;
  return sql::ReferentialAction::kNoAction;
}

}  // namespace

sql::SqlType ParsePostgresType(absl::string_view spelling) {
  spelling = absl::StripAsciiWhitespace(spelling);
  if (absl::EndsWith(spelling, "[]")) {
    std::optional<Kind> element = ScalarKind(spelling.substr(0, spelling.size() - 2));
    if (element.has_value()) return sql::SqlType::Array(*element);
    return sql::SqlType::Custom(std::string(spelling));
  }
  return migrate_internal::ParseTypeSpelling(spelling, ScalarKind);
}

absl::StatusOr<LiveSchema> IntrospectPostgres(Session& session, const IntrospectOptions& options) {
  LiveSchema schema;
  std::map<std::string, size_t> by_name;
  auto table_for = [&](const std::string& name) -> sql::TableDef* {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &schema.tables[it->second];
  };

  DUO_ASSIGN_OR_RETURN(
      Result columns,
      Query(session,
            sql::Text(absl::StrCat(
                          "SELECT c.relname::text, a.attname::text, ", kPostgresColumnType,
                          ", a.attnotnull, "
                          "pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, "
                          "a.attgenerated::text "
                          "FROM pg_class c "
                          "JOIN pg_namespace n ON n.oid = c.relnamespace "
                          "JOIN pg_attribute a ON a.attrelid = c.oid "
                          "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                          "JOIN pg_type t ON t.oid = a.atttypid "
                          "LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A' "
                          "JOIN pg_type b ON b.oid = COALESCE(e.oid, t.oid) "
                          "JOIN pg_namespace bn ON bn.oid = b.typnamespace "
                          "WHERE n.nspname = ",
                          kPostgresSchema,
                          " AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
                          "ORDER BY c.relname, a.attnum"))
                .Bind("schema", options.schema)));
  for (size_t row = 0; row < columns.size(); ++row) {
    DUO_ASSIGN_OR_RETURN(std::string table_name, columns.Get<std::string>(row, 0));
    if (options.Excludes(table_name)) continue;
    if (by_name.emplace(table_name, schema.tables.size()).second) {
      schema.tables.emplace_back(table_name);
    }
    DUO_ASSIGN_OR_RETURN(std::string generated, columns.Get<std::string>(row, 6));
    if (!generated.empty()) continue;  // generated columns are not duo's to manage
    sql::ColumnDef column;
    DUO_ASSIGN_OR_RETURN(column.name, columns.Get<std::string>(row, 1));
    DUO_ASSIGN_OR_RETURN(std::string type, columns.Get<std::string>(row, 2));
    column.type = ParsePostgresType(type);
    DUO_ASSIGN_OR_RETURN(bool not_null, columns.Get<bool>(row, 3));
    column.nullable = !not_null;
    DUO_ASSIGN_OR_RETURN(std::optional<std::string> default_sql,
                         columns.Get<std::optional<std::string>>(row, 4));
    DUO_ASSIGN_OR_RETURN(std::string identity, columns.Get<std::string>(row, 5));
    if (!identity.empty()) {
      column.autoincrement = true;
    } else if (default_sql.has_value() && absl::StartsWith(*default_sql, "nextval(")) {
      column.autoincrement = true;  // serial: the sequence is the identity
    } else if (default_sql.has_value()) {
      column.server_default = sql::Text(*default_sql);
    }
    schema.tables[by_name[table_name]].columns.push_back(std::move(column));
  }

  // The constraint's columns in key order, as a JSON array of names.
  auto column_names = [](absl::string_view keys, absl::string_view relation) {
    return absl::StrReplaceAll(
        "(SELECT json_agg(a.attname::text ORDER BY k.ord) FROM unnest($keys) WITH ORDINALITY "
        "AS k(num, ord) JOIN pg_attribute a ON a.attrelid = $relation AND a.attnum = k.num)",
        {{"$keys", keys}, {"$relation", relation}});
  };
  DUO_ASSIGN_OR_RETURN(
      Result constraints,
      Query(
          session,
          sql::Text(absl::StrCat("SELECT c.relname::text, con.conname::text, con.contype::text, ",
                                 column_names("con.conkey", "con.conrelid"), ", r.relname::text, ",
                                 column_names("con.confkey", "con.confrelid"),
                                 ", con.confdeltype::text, con.confupdtype::text, "
                                 "pg_get_expr(con.conbin, con.conrelid) "
                                 "FROM pg_constraint con "
                                 "JOIN pg_class c ON c.oid = con.conrelid "
                                 "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "LEFT JOIN pg_class r ON r.oid = con.confrelid "
                                 "WHERE n.nspname = ",
                                 kPostgresSchema,
                                 " AND con.contype IN ('p', 'u', 'f', 'c') "
                                 "ORDER BY c.relname, con.conname"))
              .Bind("schema", options.schema)));
  for (size_t row = 0; row < constraints.size(); ++row) {
    DUO_ASSIGN_OR_RETURN(std::string table_name, constraints.Get<std::string>(row, 0));
    sql::TableDef* table = table_for(table_name);
    if (table == nullptr) continue;
    DUO_ASSIGN_OR_RETURN(std::string name, constraints.Get<std::string>(row, 1));
    DUO_ASSIGN_OR_RETURN(std::string type, constraints.Get<std::string>(row, 2));
    DUO_ASSIGN_OR_RETURN(std::vector<std::string> constrained, JsonNames(constraints, row, 3));
    if (type == "p") {
      schema.primary_key_names[table_name] = name;
      table->primary_key = constrained;
      for (sql::ColumnDef& column : table->columns) {
        if (std::find(constrained.begin(), constrained.end(), column.name) != constrained.end()) {
          column.primary_key = true;
        }
      }
    } else if (type == "u") {
      table->uniques.push_back({std::move(name), std::move(constrained)});
    } else if (type == "f") {
      sql::ForeignKeyDef fk;
      fk.name = std::move(name);
      fk.columns = std::move(constrained);
      DUO_ASSIGN_OR_RETURN(fk.referenced_table, constraints.Get<std::string>(row, 4));
      DUO_ASSIGN_OR_RETURN(fk.referenced_columns, JsonNames(constraints, row, 5));
      DUO_ASSIGN_OR_RETURN(std::string on_delete, constraints.Get<std::string>(row, 6));
      DUO_ASSIGN_OR_RETURN(std::string on_update, constraints.Get<std::string>(row, 7));
      fk.on_delete = PostgresAction(on_delete);
      fk.on_update = PostgresAction(on_update);
      table->foreign_keys.push_back(std::move(fk));
    } else {
      DUO_ASSIGN_OR_RETURN(std::string condition, constraints.Get<std::string>(row, 8));
      table->checks.push_back({std::move(name), sql::Text(condition)});
    }
  }

  DUO_ASSIGN_OR_RETURN(
      Result indexes,
      Query(session,
            sql::Text(absl::StrCat(
                          "SELECT t.relname::text, i.relname::text, ix.indisunique, "
                          "pg_get_expr(ix.indpred, ix.indrelid), "
                          "(SELECT json_agg(CASE WHEN ix.indkey[s.k] = 0 "
                          "THEN pg_get_indexdef(ix.indexrelid, s.k + 1, true) "
                          "ELSE (SELECT a.attname::text FROM pg_attribute a "
                          "WHERE a.attrelid = ix.indrelid AND a.attnum = ix.indkey[s.k]) END "
                          "ORDER BY s.k) FROM generate_series(0, ix.indnkeyatts - 1) AS s(k)), "
                          "am.amname::text "
                          "FROM pg_index ix "
                          "JOIN pg_class i ON i.oid = ix.indexrelid "
                          "JOIN pg_am am ON am.oid = i.relam "
                          "JOIN pg_class t ON t.oid = ix.indrelid "
                          "JOIN pg_namespace n ON n.oid = t.relnamespace "
                          "WHERE n.nspname = ",
                          kPostgresSchema,
                          " AND NOT EXISTS (SELECT 1 FROM pg_constraint con "
                          "WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x')) "
                          "ORDER BY t.relname, i.relname"))
                .Bind("schema", options.schema)));
  for (size_t row = 0; row < indexes.size(); ++row) {
    DUO_ASSIGN_OR_RETURN(std::string table_name, indexes.Get<std::string>(row, 0));
    sql::TableDef* table = table_for(table_name);
    if (table == nullptr) continue;
    sql::IndexDef index;
    DUO_ASSIGN_OR_RETURN(index.name, indexes.Get<std::string>(row, 1));
    DUO_ASSIGN_OR_RETURN(index.unique, indexes.Get<bool>(row, 2));
    DUO_ASSIGN_OR_RETURN(std::optional<std::string> condition,
                         indexes.Get<std::optional<std::string>>(row, 3));
    if (condition.has_value()) index.where = sql::Text(*condition);
    DUO_ASSIGN_OR_RETURN(index.columns, JsonNames(indexes, row, 4));
    DUO_ASSIGN_OR_RETURN(index.method, indexes.Get<std::string>(row, 5));
    // The default method reads as the empty one the models declare.
    if (index.method == "btree") index.method.clear();
    table->indexes.push_back(std::move(index));
  }

  // Views (and materialized views) of the schema, with the relations their
  // rules depend on.
  DUO_ASSIGN_OR_RETURN(
      Result views,
      Query(session,
            sql::Text(absl::StrCat("SELECT v.relname::text, "
                                   "(SELECT json_agg(DISTINCT t.relname::text) FROM pg_rewrite r "
                                   "JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass "
                                   "AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass "
                                   "JOIN pg_class t ON t.oid = d.refobjid AND t.oid <> v.oid "
                                   "WHERE r.ev_class = v.oid) "
                                   "FROM pg_class v JOIN pg_namespace n ON n.oid = v.relnamespace "
                                   "WHERE n.nspname = ",
                                   kPostgresSchema,
                                   " AND v.relkind IN ('v', 'm') ORDER BY v.relname"))
                .Bind("schema", options.schema)));
  for (size_t row = 0; row < views.size(); ++row) {
    ViewDef view;
    DUO_ASSIGN_OR_RETURN(view.name, views.Get<std::string>(row, 0));
    DUO_ASSIGN_OR_RETURN(view.depends_on, JsonNames(views, row, 1));
    schema.views.push_back(std::move(view));
  }

  // Enum types, spelled as column types spell them, labels in sort order.
  DUO_ASSIGN_OR_RETURN(
      Result enums,
      Query(
          session,
          sql::Text(absl::StrCat("SELECT quote_ident(n.nspname) || '.' || quote_ident(t.typname), "
                                 "(SELECT json_agg(e.enumlabel::text ORDER BY e.enumsortorder) "
                                 "FROM pg_enum e WHERE e.enumtypid = t.oid) "
                                 "FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                                 "WHERE t.typtype = 'e' AND n.nspname = ",
                                 kPostgresSchema, " ORDER BY t.typname"))
              .Bind("schema", options.schema)));
  for (size_t row = 0; row < enums.size(); ++row) {
    EnumTypeDef type;
    DUO_ASSIGN_OR_RETURN(type.name, enums.Get<std::string>(row, 0));
    DUO_ASSIGN_OR_RETURN(type.labels, JsonNames(enums, row, 1));
    schema.enums.push_back(std::move(type));
  }
  DUO_ASSIGN_OR_RETURN(
      Result current,
      Query(session, sql::Text(absl::StrCat("SELECT quote_ident(", kPostgresSchema, ")"))
                         .Bind("schema", options.schema)));
  if (current.size() == 1) {
    DUO_ASSIGN_OR_RETURN(schema.schema, current.Get<std::string>(0, 0));
  }
  return schema;
}

}  // namespace duo::migrate
