#include "duo/sql/value.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace duo::sql {

std::string Value::DebugString() const {
  switch (kind()) {
    case Kind::kNull:
      return "NULL";
    case Kind::kBool:
      return as_bool() ? "TRUE" : "FALSE";
    case Kind::kInt:
      return absl::StrCat(as_int());
    case Kind::kDouble:
      return absl::StrCat(as_double());
    case Kind::kText:
      return absl::StrCat("'", absl::StrReplaceAll(as_text(), {{"'", "''"}}), "'");
    case Kind::kBlob:
      return absl::StrCat("X'", absl::BytesToHexString(as_blob().bytes), "'");
  }
  return "?";
}

}  // namespace duo::sql
