// Runs a Python script as a second client of a test database, for tests
// that check what other clients of the same database read and write:
// SQLAlchemy (Debian's python3-sqlalchemy, with python3-psycopg2 for
// PostgreSQL) and Python's own sqlite3 module.
//
//   absl::StatusOr<std::string> out = duo::testing::RunPythonClient(
//       "testing/interop/timestamps.py", {"write", database.native_target()});
//
// The script runs under Debian's /usr/bin/python3 (the interpreter those
// packages install into, whatever python3 comes first on PATH), with the
// runfiles directory of the test as its working directory and
// testing/interop on its module path, so scripts share
// testing/interop/duo_client.py. Scripts print their results on stdout
// (JSON is the convention) and report failure by exiting non-zero. A
// script there must not be named like a standard module (json.py would
// shadow Python's json for SQLAlchemy too).

#ifndef DUO_TESTING_PYTHON_CLIENT_H_
#define DUO_TESTING_PYTHON_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace duo::testing {

// Runs `/usr/bin/python3 script args...` and returns what it printed on
// stdout. A non-zero exit is Internal with the script's stderr; a missing
// interpreter or SQLAlchemy is Unavailable naming the package to install
// (tools/setup.sh --postgres installs both).
absl::StatusOr<std::string> RunPythonClient(absl::string_view script,
                                            const std::vector<std::string>& args);

}  // namespace duo::testing

#endif  // DUO_TESTING_PYTHON_CLIENT_H_
