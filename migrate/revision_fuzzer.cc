// Fuzzes revision files (ParseRevision) and the statement splitter under
// them (SplitStatements): both read text a person edits and commits.
// Properties, for every input:
//   * ParseRevision succeeds or returns InvalidArgument naming the file;
//   * a parsed revision, formatted again, parses to the same header fields,
//     and to the same statements whenever each statement is balanced (its
//     quotes and comments closed, which WriteRevisionFile demands);
//   * CRLF line endings parse to the same revision with the same checksum;
//   * SplitStatements yields trimmed, non-empty statements, and balanced
//     statements joined by ";" split back into themselves.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "migrate/revision.h"
#include "testing/fuzz/fuzz.h"

namespace {

using duo::migrate::Revision;
using duo::migrate::SplitStatements;

constexpr absl::string_view kPath = "migrations/fuzz.sql";

// Whether a ';' after `statement` ends it: its strings, identifiers and
// comments are closed. A final -- comment is closed by the newline.
bool Balanced(const std::string& statement) {
  const std::vector<std::string> split = SplitStatements(absl::StrCat(statement, "\n;\nSELECT 1"));
  return split.size() == 2 && split[0] == statement && split[1] == "SELECT 1";
}

bool AllBalanced(const std::vector<std::string>& statements) {
  for (const std::string& statement : statements) {
    if (!Balanced(statement)) return false;
  }
  return true;
}

std::vector<std::string> Crlf(std::vector<std::string> statements) {
  for (std::string& statement : statements)
    statement = absl::StrReplaceAll(statement, {{"\r\n", "\n"}});
  return statements;
}

std::string Describe(const Revision& r) {
  return absl::StrCat("id=", r.id, " parent=", r.parent, " message=", r.message,
                      " dialect=", r.dialect, " created=", r.created,
                      " transactional=", r.transactional, " fk_off=", r.sqlite_foreign_keys_off,
                      " destructive_up=[", absl::StrJoin(r.destructive_up, "|"),
                      "] destructive_down=[", absl::StrJoin(r.destructive_down, "|"), "] up=[",
                      absl::StrJoin(r.up, "|"), "] down=[", absl::StrJoin(r.down, "|"), "]");
}

// What FormatRevision makes of a header value: one line, trimmed.
std::string OneLine(absl::string_view value) {
  std::string line = absl::StrReplaceAll(value, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  absl::StripAsciiWhitespace(&line);
  return line;
}

std::vector<std::string> OneLines(const std::vector<std::string>& values) {
  std::vector<std::string> lines;
  for (const std::string& value : values) lines.push_back(OneLine(value));
  return lines;
}

// `revision`'s header as formatting writes it (a lone '\r' inside a value
// that ParseRevision kept becomes a space).
Revision Formatted(Revision revision) {
  revision.message = OneLine(revision.message);
  revision.created = OneLine(revision.created);
  revision.destructive_up = OneLines(revision.destructive_up);
  revision.destructive_down = OneLines(revision.destructive_down);
  return revision;
}

bool SameHeader(const Revision& a, const Revision& b) {
  return a.id == b.id && a.parent == b.parent && a.message == b.message && a.dialect == b.dialect &&
         a.created == b.created && a.transactional == b.transactional &&
         a.sqlite_foreign_keys_off == b.sqlite_foreign_keys_off &&
         a.destructive_up == b.destructive_up && a.destructive_down == b.destructive_down;
}

void CheckSplit(absl::string_view sql, absl::string_view input) {
  const std::vector<std::string> statements = SplitStatements(sql);
  for (const std::string& statement : statements) {
    DUO_FUZZ_CHECK(!statement.empty(), input);
    DUO_FUZZ_CHECK(absl::StripAsciiWhitespace(statement) == statement, input, statement);
  }
  if (!statements.empty() && AllBalanced(statements)) {
    const std::vector<std::string> again = SplitStatements(absl::StrJoin(statements, "\n;\n"));
    DUO_FUZZ_CHECK(again == statements, input,
                   absl::StrCat(absl::StrJoin(statements, "|"), " -> ", absl::StrJoin(again, "|")));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input = duo::fuzz::AsText(data, size);
  CheckSplit(input, input);

  const absl::StatusOr<Revision> revision = duo::migrate::ParseRevision(input, kPath);
  if (!revision.ok()) {
    DUO_FUZZ_CHECK(absl::IsInvalidArgument(revision.status()), input, revision.status().ToString());
    DUO_FUZZ_CHECK(absl::StartsWith(revision.status().message(), kPath), input,
                   revision.status().ToString());
    return 0;
  }
  DUO_FUZZ_CHECK(revision->path == kPath, input);
  DUO_FUZZ_CHECK(
      absl::StartsWith(revision->checksum, "sha256:") && revision->checksum.size() == 7 + 64, input,
      revision->checksum);

  const std::string formatted = duo::migrate::FormatRevision(*revision);
  const absl::StatusOr<Revision> again = duo::migrate::ParseRevision(formatted, kPath);
  DUO_FUZZ_CHECK(again.ok(), input, absl::StrCat(formatted, " -> ", again.status().ToString()));
  DUO_FUZZ_CHECK(SameHeader(Formatted(*revision), *again), input,
                 absl::StrCat(Describe(*revision), " -> ", Describe(*again)));
  if (AllBalanced(revision->up) && AllBalanced(revision->down)) {
    // Reading normalises CRLF once, so a "\r\r\n" in the file leaves a
    // "\r\n" in the statement, which the next reading normalises again.
    DUO_FUZZ_CHECK(again->up == Crlf(revision->up) && again->down == Crlf(revision->down), input,
                   absl::StrCat(Describe(*revision), " -> ", Describe(*again)));
  }

  // A checkout with CRLF line endings is the same revision.
  if (!absl::StrContains(input, '\r')) {
    const std::string crlf = absl::StrReplaceAll(input, {{"\n", "\r\n"}});
    const absl::StatusOr<Revision> windows = duo::migrate::ParseRevision(crlf, kPath);
    DUO_FUZZ_CHECK(windows.ok(), input, windows.status().ToString());
    DUO_FUZZ_CHECK(SameHeader(*revision, *windows) && windows->up == revision->up &&
                       windows->down == revision->down,
                   input, absl::StrCat(Describe(*revision), " -> ", Describe(*windows)));
    DUO_FUZZ_CHECK(windows->checksum == revision->checksum, input);
  }
  return 0;
}
