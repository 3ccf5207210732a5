// Any statement the compilers accept.

#ifndef DUO_SQL_STATEMENT_H_
#define DUO_SQL_STATEMENT_H_

#include <variant>

#include "duo/sql/dml.h"
#include "duo/sql/select.h"
#include "duo/sql/text.h"

namespace duo::sql {

using Statement = std::variant<Select, Insert, Update, Delete, Text>;

}  // namespace duo::sql

#endif  // DUO_SQL_STATEMENT_H_
