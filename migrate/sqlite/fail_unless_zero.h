// A failing check in plain SQLite SQL, for revisions and --sql scripts.

#ifndef MIGRATE_SQLITE_FAIL_UNLESS_ZERO_H_
#define MIGRATE_SQLITE_FAIL_UNLESS_ZERO_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace duo::migrate {

// SQLite statements that fail, with "CHECK constraint failed: <message>",
// when `count_sql` (a SELECT of one integer) yields anything but 0. SQLite
// has no statement that raises an error on a condition outside a trigger;
// these insert the count into a temporary table whose CHECK demands 0. A
// client running a script stops at the failure (with -bail), before COMMIT.
std::vector<std::string> SqliteFailUnlessZero(absl::string_view message,
                                              absl::string_view count_sql);

}  // namespace duo::migrate

#endif  // MIGRATE_SQLITE_FAIL_UNLESS_ZERO_H_
