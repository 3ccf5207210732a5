#include "migrate/diff.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "duo/dialect/ddl.h"

namespace duo::migrate {
namespace {

using dialect::QuoteIdentifier;

std::string ExprText(const dialect::Dialect& dialect, const sql::Expr& expr) {
  if (expr.empty()) return "";
  absl::StatusOr<std::string> text = dialect::InlineExpr(dialect, expr);
  return text.ok() ? *text : absl::StrCat("(unprintable: ", text.status().message(), ")");
}

// True when the parenthesis at 0 closes at the very end.
bool EnclosedInParentheses(absl::string_view text) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') return false;
  int depth = 0;
  char quote = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && --depth == 0 && i + 1 != text.size()) {
      return false;
    }
  }
  return true;
}

std::string Columns(const std::vector<std::string>& columns) {
  return absl::StrCat("(",
                      absl::StrJoin(columns, ", ",
                                    [](std::string* out, const std::string& c) {
                                      out->append(QuoteIdentifier(c));
                                    }),
                      ")");
}

bool SameForeignKeyTarget(const sql::ForeignKeyDef& a, const sql::ForeignKeyDef& b) {
  return a.columns == b.columns && a.referenced_table == b.referenced_table &&
         a.referenced_columns == b.referenced_columns;
}

sql::ColumnDef Normalized(sql::ColumnDef column, const sql::TableDef& table) {
  const std::vector<std::string> key = table.PrimaryKeyColumns();
  if (std::find(key.begin(), key.end(), column.name) != key.end()) column.nullable = false;
  return column;
}

class TableDiffer {
 public:
  TableDiffer(const dialect::Dialect& dialect, const DiffOptions& options)
      : dialect_(dialect), options_(options) {}

  TableChange Compare(const sql::TableDef& from, const sql::TableDef& to) {
    TableChange change;
    change.from = from;
    change.to = to;
    if (from.name != to.name) change.renamed_from = from.name;
    CompareColumns(change);
    change.primary_key_changed = from.PrimaryKeyColumns() != RenamedKey(change, to);
    CompareIndexes(change);
    CompareUniques(change);
    CompareForeignKeys(change);
    CompareChecks(change);
    return change;
  }

 private:
  // The new key spelled with old column names, so that renaming a key
  // column does not read as a key change.
  std::vector<std::string> RenamedKey(const TableChange& change, const sql::TableDef& to) {
    std::vector<std::string> key = to.PrimaryKeyColumns();
    for (std::string& column : key) {
      for (const auto& [old_name, new_name] : change.renamed_columns) {
        if (column == new_name) column = old_name;
      }
    }
    return key;
  }

  void CompareColumns(TableChange& change) {
    const sql::TableDef& from = change.from;
    const sql::TableDef& to = change.to;
    std::vector<std::string> matched_old;
    for (const sql::ColumnDef& target : to.columns) {
      const sql::ColumnDef* current = from.FindColumn(target.name);
      for (const auto& [key, new_name] : options_.column_renames) {
        if (key.first == to.name && new_name == target.name) {
          const sql::ColumnDef* renamed = from.FindColumn(key.second);
          if (renamed != nullptr && to.FindColumn(key.second) == nullptr) {
            current = renamed;
            change.renamed_columns.emplace_back(key.second, target.name);
          }
        }
      }
      if (current == nullptr) {
        change.added_columns.push_back(target);
        continue;
      }
      matched_old.push_back(current->name);
      ColumnChange column{Normalized(*current, from), Normalized(target, to)};
      column.type = column.from.type != column.to.type;
      column.nullable = column.from.nullable != column.to.nullable;
      column.server_default = NormalizeSqlText(ExprText(dialect_, column.from.server_default)) !=
                              NormalizeSqlText(ExprText(dialect_, column.to.server_default));
      column.autoincrement = column.from.autoincrement != column.to.autoincrement;
      if (column.type || column.nullable || column.server_default || column.autoincrement) {
        change.altered_columns.push_back(std::move(column));
      }
    }
    for (const sql::ColumnDef& current : from.columns) {
      if (std::find(matched_old.begin(), matched_old.end(), current.name) == matched_old.end()) {
        change.dropped_columns.push_back(current);
      }
    }
  }

  bool SameIndex(const sql::IndexDef& a, const sql::IndexDef& b) {
    return a.columns == b.columns && a.unique == b.unique && a.method == b.method &&
           NormalizeSqlText(ExprText(dialect_, a.where)) ==
               NormalizeSqlText(ExprText(dialect_, b.where));
  }

  void CompareIndexes(TableChange& change) {
    for (const sql::IndexDef& target : change.to.indexes) {
      auto it = std::find_if(change.from.indexes.begin(), change.from.indexes.end(),
                             [&](const sql::IndexDef& i) { return i.name == target.name; });
      if (it == change.from.indexes.end() || !SameIndex(*it, target)) {
        if (it != change.from.indexes.end()) change.dropped_indexes.push_back(*it);
        change.added_indexes.push_back(target);
      }
    }
    for (const sql::IndexDef& current : change.from.indexes) {
      auto it = std::find_if(change.to.indexes.begin(), change.to.indexes.end(),
                             [&](const sql::IndexDef& i) { return i.name == current.name; });
      if (it == change.to.indexes.end()) change.dropped_indexes.push_back(current);
    }
  }

  void CompareUniques(TableChange& change) {
    for (const sql::UniqueDef& target : change.to.uniques) {
      if (std::none_of(change.from.uniques.begin(), change.from.uniques.end(),
                       [&](const sql::UniqueDef& u) { return u.columns == target.columns; })) {
        change.added_uniques.push_back(target);
      }
    }
    for (const sql::UniqueDef& current : change.from.uniques) {
      if (std::none_of(change.to.uniques.begin(), change.to.uniques.end(),
                       [&](const sql::UniqueDef& u) { return u.columns == current.columns; })) {
        change.dropped_uniques.push_back(current);
      }
    }
  }

  // `fk` as it reads once the declared renames ran: both databases
  // retarget a foreign key when its parent table or column is renamed
  // (PostgreSQL keeps references by oid and column number; SQLite 3.26+
  // rewrites the child's REFERENCES clause), so a renamed parent is no
  // reason to drop and re-add its children's keys, nor to rebuild them.
  sql::ForeignKeyDef Retargeted(sql::ForeignKeyDef fk, const TableChange& change) const {
    for (std::string& column : fk.columns) {
      for (const auto& [old_name, new_name] : change.renamed_columns) {
        if (column == old_name) column = new_name;
      }
    }
    auto renamed = options_.table_renames.find(fk.referenced_table);
    if (renamed != options_.table_renames.end()) fk.referenced_table = renamed->second;
    for (std::string& column : fk.referenced_columns) {
      auto it = options_.column_renames.find({fk.referenced_table, column});
      if (it != options_.column_renames.end()) column = it->second;
    }
    return fk;
  }

  void CompareForeignKeys(TableChange& change) {
    auto same = [](const sql::ForeignKeyDef& a, const sql::ForeignKeyDef& b) {
      return SameForeignKeyTarget(a, b) && a.on_delete == b.on_delete && a.on_update == b.on_update;
    };
    std::vector<sql::ForeignKeyDef> current_keys;
    for (const sql::ForeignKeyDef& fk : change.from.foreign_keys) {
      current_keys.push_back(Retargeted(fk, change));
    }
    for (const sql::ForeignKeyDef& target : change.to.foreign_keys) {
      if (std::none_of(current_keys.begin(), current_keys.end(),
                       [&](const sql::ForeignKeyDef& fk) { return same(fk, target); })) {
        change.added_foreign_keys.push_back(target);
      }
    }
    for (size_t i = 0; i < current_keys.size(); ++i) {
      if (std::none_of(change.to.foreign_keys.begin(), change.to.foreign_keys.end(),
                       [&](const sql::ForeignKeyDef& fk) { return same(fk, current_keys[i]); })) {
        change.dropped_foreign_keys.push_back(change.from.foreign_keys[i]);
      }
    }
  }

  void CompareChecks(TableChange& change) {
    auto same = [&](const sql::CheckDef& a, const sql::CheckDef& b) {
      return a.name == b.name && NormalizeSqlText(ExprText(dialect_, a.condition)) ==
                                     NormalizeSqlText(ExprText(dialect_, b.condition));
    };
    for (const sql::CheckDef& target : change.to.checks) {
      if (std::none_of(change.from.checks.begin(), change.from.checks.end(),
                       [&](const sql::CheckDef& c) { return same(c, target); })) {
        change.added_checks.push_back(target);
      }
    }
    for (const sql::CheckDef& current : change.from.checks) {
      if (std::none_of(change.to.checks.begin(), change.to.checks.end(),
                       [&](const sql::CheckDef& c) { return same(c, current); })) {
        change.dropped_checks.push_back(current);
      }
    }
  }

  const dialect::Dialect& dialect_;
  const DiffOptions& options_;
};

std::string TypeText(const dialect::Dialect& dialect, const sql::SqlType& type) {
  std::string name = dialect.TypeName(type);
  return name.empty() ? "(no type)" : name;
}

std::string NullText(bool nullable) { return nullable ? "NULL" : "NOT NULL"; }

}  // namespace

std::string NormalizeSqlText(absl::string_view sql) {
  absl::string_view text = absl::StripAsciiWhitespace(sql);
  while (EnclosedInParentheses(text)) {
    text = absl::StripAsciiWhitespace(text.substr(1, text.size() - 2));
  }
  std::string out;
  char quote = 0;
  bool pending_space = false;
  for (const char c : text) {
    if (quote != 0) {
      out.push_back(c);
      if (c == quote) quote = 0;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(c))) {
      pending_space = true;
      continue;
    }
    if (pending_space && !out.empty() && out.back() != '(' && c != ')' && c != ',') {
      out.push_back(' ');
    }
    pending_space = false;
    if (c == '\'' || c == '"') quote = c;
    out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

bool TableChange::empty() const {
  return renamed_from.empty() && renamed_columns.empty() && added_columns.empty() &&
         dropped_columns.empty() && altered_columns.empty() && !primary_key_changed &&
         added_indexes.empty() && dropped_indexes.empty() && added_uniques.empty() &&
         dropped_uniques.empty() && added_foreign_keys.empty() && dropped_foreign_keys.empty() &&
         added_checks.empty() && dropped_checks.empty();
}

SchemaDiff Diff(const dialect::Dialect& dialect, const std::vector<sql::TableDef>& from,
                const std::vector<sql::TableDef>& to, const DiffOptions& options) {
  auto find = [](const std::vector<sql::TableDef>& tables,
                 absl::string_view name) -> const sql::TableDef* {
    for (const sql::TableDef& table : tables) {
      if (table.name == name) return &table;
    }
    return nullptr;
  };
  SchemaDiff diff;
  TableDiffer differ(dialect, options);
  std::vector<std::string> matched;
  for (const sql::TableDef& target : to) {
    const sql::TableDef* current = find(from, target.name);
    for (const auto& [old_name, new_name] : options.table_renames) {
      if (new_name == target.name && current == nullptr && find(to, old_name) == nullptr) {
        current = find(from, old_name);
      }
    }
    if (current == nullptr) {
      diff.created_tables.push_back(target);
      continue;
    }
    matched.push_back(current->name);
    TableChange change = differ.Compare(*current, target);
    if (!change.empty()) diff.changed_tables.push_back(std::move(change));
  }
  for (const sql::TableDef& current : from) {
    if (std::find(matched.begin(), matched.end(), current.name) == matched.end()) {
      diff.dropped_tables.push_back(current);
    }
  }
  return diff;
}

std::vector<const sql::TableDef*> DependencyOrder(const std::vector<sql::TableDef>& tables) {
  std::vector<const sql::TableDef*> ordered;
  std::set<std::string> placed;
  std::set<std::string> names;
  for (const sql::TableDef& table : tables) names.insert(table.name);
  while (ordered.size() < tables.size()) {
    bool progressed = false;
    for (const sql::TableDef& table : tables) {
      if (placed.count(table.name) != 0) continue;
      bool ready = true;
      for (const sql::ForeignKeyDef& fk : table.foreign_keys) {
        if (fk.referenced_table != table.name && names.count(fk.referenced_table) != 0 &&
            placed.count(fk.referenced_table) == 0) {
          ready = false;
        }
      }
      if (ready) {
        ordered.push_back(&table);
        placed.insert(table.name);
        progressed = true;
      }
    }
    if (!progressed) {
      for (const sql::TableDef& table : tables) {
        if (placed.insert(table.name).second) {
          ordered.push_back(&table);
          break;
        }
      }
    }
  }
  return ordered;
}

void DiffEnums(const std::vector<EnumTypeDef>& live, const std::vector<EnumTypeDef>& models,
               SchemaDiff& diff) {
  for (const EnumTypeDef& model : models) {
    const EnumTypeDef* existing = nullptr;
    for (const EnumTypeDef& type : live) {
      if (type.name == model.name) existing = &type;
    }
    if (existing == nullptr) {
      diff.created_enums.push_back(model);
      continue;
    }
    // The live labels must all be declared, in the same order: PostgreSQL
    // can add a label anywhere, but never drop or move one.
    size_t next = 0;  // in model.labels
    bool conflict = false;
    for (const std::string& label : existing->labels) {
      size_t found = next;
      while (found < model.labels.size() && model.labels[found] != label) ++found;
      if (found < model.labels.size()) {
        next = found + 1;
        continue;
      }
      conflict = true;
      const bool declared =
          std::find(model.labels.begin(), model.labels.end(), label) != model.labels.end();
      diff.enum_conflicts.push_back(absl::StrCat(
          "enum type ", existing->name, ": label '", label, "' ",
          declared ? "is declared in another order than the database keeps it"
                   : "is in the database but not declared",
          "; PostgreSQL cannot drop or move an enum label, and rows may hold it: declare the "
          "labels in the database's order (",
          absl::StrJoin(existing->labels, ", "),
          ") plus new ones, or write a revision by hand (ALTER TYPE ... RENAME VALUE, or a new "
          "type and a column conversion)"));
    }
    if (conflict) continue;
    for (size_t i = 0; i < model.labels.size(); ++i) {
      const std::string& label = model.labels[i];
      if (std::find(existing->labels.begin(), existing->labels.end(), label) !=
          existing->labels.end()) {
        continue;
      }
      EnumLabelAdded added{.type = model.name, .label = label};
      // Labels declared ahead of the type's first label.
      const size_t first_existing = static_cast<size_t>(
          std::find(model.labels.begin(), model.labels.end(), existing->labels.front()) -
          model.labels.begin());
      const bool leading = i < first_existing;
      if (!leading) {
        added.after = model.labels[i - 1];  // existing, or added just before
      } else {
        // Before the type's first label; new labels ahead of it go before
        // it one by one, which keeps their order.
        added.before = existing->labels.front();
      }
      diff.added_enum_labels.push_back(std::move(added));
    }
  }
}

std::vector<std::string> SchemaDiff::Describe(const dialect::Dialect& dialect) const {
  std::vector<std::string> lines;
  for (const std::string& conflict : enum_conflicts) {
    lines.push_back(absl::StrCat("cannot migrate: ", conflict));
  }
  for (const EnumTypeDef& type : created_enums) {
    std::vector<std::string> quoted;
    for (const std::string& label : type.labels) quoted.push_back(dialect::QuoteLiteral(label));
    lines.push_back(
        absl::StrCat("create enum type ", type.name, " (", absl::StrJoin(quoted, ", "), ")"));
  }
  for (const EnumLabelAdded& added : added_enum_labels) {
    lines.push_back(absl::StrCat("add label ", dialect::QuoteLiteral(added.label), " to enum type ",
                                 added.type));
  }
  for (const sql::TableDef& table : created_tables) {
    lines.push_back(absl::StrCat("create table ", QuoteIdentifier(table.name)));
  }
  for (const TableChange& change : changed_tables) {
    const std::string table = QuoteIdentifier(change.to.name);
    auto column = [&](absl::string_view name) {
      return absl::StrCat(table, ".", QuoteIdentifier(name));
    };
    if (!change.renamed_from.empty()) {
      lines.push_back(
          absl::StrCat("rename table ", QuoteIdentifier(change.renamed_from), " to ", table));
    }
    for (const auto& [old_name, new_name] : change.renamed_columns) {
      lines.push_back(
          absl::StrCat("rename column ", column(old_name), " to ", QuoteIdentifier(new_name)));
    }
    for (const sql::ColumnDef& added : change.added_columns) {
      lines.push_back(absl::StrCat("add column ", column(added.name), " ",
                                   TypeText(dialect, added.type), " ", NullText(added.nullable)));
    }
    for (const sql::ColumnDef& dropped : change.dropped_columns) {
      lines.push_back(absl::StrCat("drop column ", column(dropped.name)));
    }
    for (const ColumnChange& altered : change.altered_columns) {
      std::vector<std::string> parts;
      if (altered.type) {
        parts.push_back(absl::StrCat("type ", TypeText(dialect, altered.from.type), " -> ",
                                     TypeText(dialect, altered.to.type)));
      }
      if (altered.nullable) {
        parts.push_back(
            absl::StrCat(NullText(altered.from.nullable), " -> ", NullText(altered.to.nullable)));
      }
      if (altered.server_default) {
        auto text = [&](const sql::Expr& e) {
          std::string t = ExprText(dialect, e);
          return t.empty() ? std::string("(none)") : t;
        };
        parts.push_back(absl::StrCat("default ", text(altered.from.server_default), " -> ",
                                     text(altered.to.server_default)));
      }
      if (altered.autoincrement) {
        parts.push_back(altered.to.autoincrement ? "becomes generated" : "no longer generated");
      }
      lines.push_back(
          absl::StrCat("alter column ", column(altered.to.name), ": ", absl::StrJoin(parts, "; ")));
    }
    if (change.primary_key_changed) {
      lines.push_back(absl::StrCat("change primary key of ", table, ": ",
                                   Columns(change.from.PrimaryKeyColumns()), " -> ",
                                   Columns(change.to.PrimaryKeyColumns())));
    }
    for (const sql::IndexDef& index : change.dropped_indexes) {
      lines.push_back(absl::StrCat("drop index ", QuoteIdentifier(index.name), " on ", table));
    }
    for (const sql::IndexDef& index : change.added_indexes) {
      lines.push_back(absl::StrCat("add ", index.unique ? "unique " : "", "index ",
                                   QuoteIdentifier(index.name), " on ", table, " ",
                                   index.method.empty() ? "" : "using ", index.method,
                                   index.method.empty() ? "" : " ", Columns(index.columns)));
    }
    for (const sql::UniqueDef& unique : change.dropped_uniques) {
      lines.push_back(absl::StrCat("drop unique ", Columns(unique.columns), " on ", table));
    }
    for (const sql::UniqueDef& unique : change.added_uniques) {
      lines.push_back(absl::StrCat("add unique ", Columns(unique.columns), " on ", table));
    }
    for (const sql::ForeignKeyDef& fk : change.dropped_foreign_keys) {
      lines.push_back(absl::StrCat("drop foreign key ", table, " ", Columns(fk.columns), " -> ",
                                   QuoteIdentifier(fk.referenced_table), " ",
                                   Columns(fk.referenced_columns)));
    }
    for (const sql::ForeignKeyDef& fk : change.added_foreign_keys) {
      lines.push_back(absl::StrCat("add foreign key ", table, " ", Columns(fk.columns), " -> ",
                                   QuoteIdentifier(fk.referenced_table), " ",
                                   Columns(fk.referenced_columns)));
    }
    for (const sql::CheckDef& check : change.dropped_checks) {
      lines.push_back(absl::StrCat("drop check ", QuoteIdentifier(check.name), " on ", table));
    }
    for (const sql::CheckDef& check : change.added_checks) {
      lines.push_back(absl::StrCat("add check ", QuoteIdentifier(check.name), " on ", table, ": ",
                                   ExprText(dialect, check.condition)));
    }
  }
  for (const sql::TableDef& table : dropped_tables) {
    lines.push_back(absl::StrCat("drop table ", QuoteIdentifier(table.name)));
  }
  return lines;
}

}  // namespace duo::migrate
