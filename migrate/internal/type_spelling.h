// Reading a column's declared type back into a SqlType: the part of it
// both databases share (introspection is otherwise each database's own).

#ifndef MIGRATE_INTERNAL_TYPE_SPELLING_H_
#define MIGRATE_INTERNAL_TYPE_SPELLING_H_

#include <optional>

#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "duo/sql/types.h"

namespace duo::migrate_internal {

// The SqlType `spelling` names: varchar(n) and character varying(n) as
// Varchar, numeric(p, s) and SQLite's decimal_text(p, s) as Numeric (any
// case), a bare name as `scalar` maps it, and anything else as
// SqlType::Custom with the database's spelling (empty: no type).
sql::SqlType ParseTypeSpelling(
    absl::string_view spelling,
    absl::FunctionRef<std::optional<sql::SqlType::Kind>(absl::string_view name)> scalar);

}  // namespace duo::migrate_internal

#endif  // MIGRATE_INTERNAL_TYPE_SPELLING_H_
