#include "migrate/revision.h"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "duo/base/status_macros.h"
#include "migrate/internal/sha256.h"

namespace duo::migrate {
namespace {

constexpr absl::string_view kFirstLine = "-- duo-migrate revision";
constexpr absl::string_view kUpMarker = "-- duo:up";
constexpr absl::string_view kDownMarker = "-- duo:down";
// The last line of every revision file: a file cut short (a partial write,
// a bad merge) lacks it, and is refused instead of running half its SQL.
constexpr absl::string_view kEndMarker = "-- duo:end";
constexpr absl::string_view kNothing = "-- (nothing)";
constexpr absl::string_view kBase = "base";
constexpr size_t kIdLength = 12;
constexpr size_t kMaxSlugLength = 40;

// ---------------------------------------------------------------------------
// Splitting SQL into statements.

bool IsWordStart(char c) {
  return absl::ascii_isalnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

// '$' continues a word: PostgreSQL identifiers may contain it, and then it
// does not open a dollar quote.
bool IsWordChar(char c) { return IsWordStart(c) || c == '$'; }

// Returns the index just past the string or identifier that opens at
// `open`, or sql.size() if it is not closed. A doubled quote stands for
// itself; with `backslash`, so does a backslash-escaped one (E'...').
size_t SkipQuoted(absl::string_view sql, size_t open, bool backslash) {
  const char quote = sql[open];
  for (size_t i = open + 1; i < sql.size(); ++i) {
    if (backslash && sql[i] == '\\') {
      ++i;
    } else if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        ++i;
      } else {
        return i + 1;
      }
    }
  }
  return sql.size();
}

// Returns the dollar-quote tag ("$$", "$body$") that starts at `dollar`, or
// an empty view when the '$' opens none (a parameter such as $1).
absl::string_view DollarTag(absl::string_view sql, size_t dollar) {
  size_t i = dollar + 1;
  if (i < sql.size() && sql[i] != '$') {
    if (absl::ascii_isdigit(sql[i]) || !IsWordStart(sql[i])) return {};
    while (i < sql.size() && IsWordStart(sql[i])) ++i;
  }
  if (i >= sql.size() || sql[i] != '$') return {};
  return sql.substr(dollar, i - dollar + 1);
}

// The word that follows `end` after whitespace, or the one character there.
absl::string_view NextToken(absl::string_view sql, size_t end) {
  size_t begin = end;
  while (begin < sql.size() && absl::ascii_isspace(sql[begin])) ++begin;
  if (begin == sql.size()) return {};
  size_t stop = begin + 1;
  if (IsWordStart(sql[begin])) {
    while (stop < sql.size() && IsWordChar(sql[stop])) ++stop;
  }
  return sql.substr(begin, stop - begin);
}

// Follows the keywords of one statement far enough to know whether a ';' is
// inside a BEGIN ... END body: SQLite's CREATE TRIGGER, and PostgreSQL's
// BEGIN ATOMIC functions and procedures.
class BodyTracker {
 public:
  // `word` is a keyword or identifier outside quotes and comments, and
  // `following` the word or character after it ("(" for a call).
  void OnWord(absl::string_view word, absl::string_view following) {
    switch (state_) {
      case State::kStart:
        state_ = absl::EqualsIgnoreCase(word, "CREATE") ? State::kCreate : State::kPlain;
        break;
      case State::kCreate:
        if (absl::EqualsIgnoreCase(word, "TRIGGER")) {
          state_ = State::kBeforeTriggerBody;
        } else if (absl::EqualsIgnoreCase(word, "FUNCTION") ||
                   absl::EqualsIgnoreCase(word, "PROCEDURE")) {
          state_ = State::kBeforeAtomicBody;
        } else if (!IsCreateModifier(word)) {
          state_ = State::kPlain;
        }
        break;
      case State::kBeforeTriggerBody:
        // Not a PostgreSQL trigger's EXECUTE FUNCTION begin().
        if (absl::EqualsIgnoreCase(word, "BEGIN") && following != "(") EnterBody();
        break;
      case State::kBeforeAtomicBody:
        // Not a parameter named begin.
        if (absl::EqualsIgnoreCase(word, "BEGIN") && absl::EqualsIgnoreCase(following, "ATOMIC")) {
          EnterBody();
        }
        break;
      case State::kBody:
        if (absl::EqualsIgnoreCase(word, "CASE")) {
          ++case_depth_;
        } else if (absl::EqualsIgnoreCase(word, "END")) {
          if (case_depth_ == 0) {
            state_ = State::kPlain;
          } else {
            --case_depth_;
          }
        }
        break;
      case State::kPlain:
        break;
    }
  }

  bool in_body() const { return state_ == State::kBody; }

  void Reset() { state_ = State::kStart; }

 private:
  enum class State { kStart, kCreate, kBeforeTriggerBody, kBeforeAtomicBody, kBody, kPlain };

  void EnterBody() {
    state_ = State::kBody;
    case_depth_ = 0;
  }

  static bool IsCreateModifier(absl::string_view word) {
    for (absl::string_view modifier : {"TEMP", "TEMPORARY", "OR", "REPLACE", "CONSTRAINT"}) {
      if (absl::EqualsIgnoreCase(word, modifier)) return true;
    }
    return false;
  }

  State state_ = State::kStart;
  int case_depth_ = 0;
};

// ---------------------------------------------------------------------------
// Formatting.

// Header values live on one line, and the parser trims them.
std::string OneLine(absl::string_view value) {
  std::string line = absl::StrReplaceAll(value, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  absl::StripAsciiWhitespace(&line);
  return line;
}

void AppendHeader(std::string& out, absl::string_view key, absl::string_view value) {
  const std::string line = OneLine(value);
  absl::StrAppend(&out, "-- ", key, ":", line.empty() ? "" : " ", line, "\n");
}

void AppendStep(std::string& out, const std::vector<std::string>& statements) {
  if (statements.empty()) absl::StrAppend(&out, kNothing, "\n\n");
  for (const std::string& statement : statements) {
    const absl::string_view text = absl::StripAsciiWhitespace(statement);
    // A ';' after a trailing -- comment would be commented out.
    const size_t last_line = text.rfind('\n');
    const bool comment_at_end =
        absl::StrContains(text.substr(last_line == absl::string_view::npos ? 0 : last_line), "--");
    // A statement may start with a comment that reads as a marker line
    // ("SELECT 1;-- duo:down" in a file splits into "SELECT 1" and a
    // statement starting "-- duo:down"). At the start of a line it would
    // become a marker; one space keeps it a comment, and trimming removes
    // the space again when the file is read.
    const absl::string_view first_line = text.substr(0, text.find('\n'));
    const absl::string_view first = absl::StripTrailingAsciiWhitespace(first_line);
    if (first == kUpMarker || first == kDownMarker || first == kEndMarker) out.push_back(' ');
    absl::StrAppend(&out, text, comment_at_end ? "\n;\n\n" : ";\n\n");
  }
}

// ---------------------------------------------------------------------------
// Parsing.

// Every parse error starts with the file, and the line when there is one,
// as compilers write them, so that editors can jump there.
template <typename... Parts>
absl::Status FileError(absl::string_view path, const Parts&... parts) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", parts...));
}
template <typename... Parts>
absl::Status LineError(absl::string_view path, size_t line_number, const Parts&... parts) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line_number, ": ", parts...));
}

std::string Quoted(absl::string_view text) { return absl::StrCat("\"", absl::CEscape(text), "\""); }

bool IsRevisionId(absl::string_view text) {
  return text.size() == kIdLength && std::all_of(text.begin(), text.end(), [](char c) {
           return absl::ascii_isdigit(c) || (c >= 'a' && c <= 'f');
         });
}

// The key of a `-- key: value` line, with the value in `value`; empty when
// the line is an ordinary comment.
absl::string_view HeaderKey(absl::string_view line, absl::string_view& value) {
  if (!absl::ConsumePrefix(&line, "--")) return {};
  line = absl::StripLeadingAsciiWhitespace(line);
  size_t end = 0;
  while (end < line.size() &&
         (absl::ascii_isalnum(line[end]) || line[end] == '-' || line[end] == '_')) {
    ++end;
  }
  if (end == 0 || end >= line.size() || line[end] != ':') return {};
  if (end + 1 < line.size() && !absl::ascii_isspace(line[end + 1])) return {};
  value = absl::StripAsciiWhitespace(line.substr(end + 1));
  return line.substr(0, end);
}

bool IsDialectName(absl::string_view name) {
  return !name.empty() && absl::ascii_islower(name[0]) &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_';
         });
}

absl::Status ParseHeaderLine(absl::string_view path, size_t line_number, absl::string_view key,
                             absl::string_view value, absl::flat_hash_set<std::string>& seen,
                             Revision& revision) {
  const bool repeatable = key == "destructive-up" || key == "destructive-down";
  if (!repeatable && !seen.insert(std::string(key)).second) {
    return LineError(path, line_number, "duplicate key \"", key, "\"");
  }
  if (key == "id") {
    if (!IsRevisionId(value)) {
      return LineError(path, line_number, "id ", Quoted(value),
                       " is not 12 lowercase hex characters");
    }
    revision.id = std::string(value);
  } else if (key == "parent") {
    if (value != kBase && !IsRevisionId(value)) {
      return LineError(path, line_number, "parent ", Quoted(value),
                       " is neither \"base\" nor 12 lowercase hex characters");
    }
    revision.parent = value == kBase ? "" : std::string(value);
  } else if (key == "message") {
    revision.message = std::string(value);
  } else if (key == "dialect") {
    // Any dialect's name (dialect::Dialect::name): which ones a program
    // can run is up to the databases it links, and the runner refuses a
    // revision written for another database than the one it runs on.
    if (!IsDialectName(value)) {
      return LineError(path, line_number, "dialect ", Quoted(value),
                       " is not a dialect name (lowercase letters, digits and '_', such as "
                       "\"sqlite\" or \"postgresql\")");
    }
    revision.dialect = std::string(value);
  } else if (key == "created") {
    revision.created = std::string(value);
  } else if (key == "transactional") {
    if (value != "true" && value != "false") {
      return LineError(path, line_number, "transactional is ", Quoted(value),
                       ", not \"true\" or \"false\"");
    }
    revision.transactional = value == "true";
  } else if (key == "sqlite-foreign-keys") {
    if (value != "on" && value != "off") {
      return LineError(path, line_number, "sqlite-foreign-keys is ", Quoted(value),
                       ", not \"on\" or \"off\"");
    }
    revision.sqlite_foreign_keys_off = value == "off";
  } else if (key == "destructive-up") {
    revision.destructive_up.emplace_back(value);
  } else if (key == "destructive-down") {
    revision.destructive_down.emplace_back(value);
  } else {
    return LineError(path, line_number, "unknown header key ", Quoted(key));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Files.

// The message as a file-name fragment: "Add orders.note!" -> "add_orders_note".
std::string Slug(absl::string_view message) {
  std::string slug;
  bool separate = false;
  for (const char c : message) {
    if (!absl::ascii_isalnum(c)) {
      separate = !slug.empty();
      continue;
    }
    if (separate) slug.push_back('_');
    separate = false;
    slug.push_back(absl::ascii_tolower(c));
  }
  if (slug.size() > kMaxSlugLength) {
    // Cut between words when there is a word boundary to cut at.
    const size_t boundary = slug.rfind('_', kMaxSlugLength);
    slug.resize(boundary == std::string::npos || boundary == 0 ? kMaxSlugLength : boundary);
    while (!slug.empty() && slug.back() == '_') slug.pop_back();
  }
  return slug;
}

// Whether `read_back` is `statements` once formatted and parsed.
bool ReadsBack(const std::vector<std::string>& statements,
               const std::vector<std::string>& read_back) {
  return std::equal(statements.begin(), statements.end(), read_back.begin(), read_back.end(),
                    [](const std::string& statement, const std::string& read) {
                      return absl::StripAsciiWhitespace(statement) == read;
                    });
}

// errno as a status; never OK, even if a library left errno at 0.
absl::Status ErrnoError(int error, absl::string_view message) {
  if (error == 0) return absl::UnknownError(message);
  return absl::ErrnoToStatus(error, message);
}

// "3f9a2c1b7d4e (migrations/3f9a2c1b7d4e_add_orders.sql)", for messages.
std::string Named(const Revision& revision) {
  if (revision.path.empty()) return revision.id;
  return absl::StrCat(revision.id, " (", revision.path, ")");
}

// Follows parents from `start` until one repeats and describes that loop.
// Only called when every revision reached this way has its parent in
// `index`.
std::string DescribeCycle(const std::vector<Revision>& revisions,
                          const absl::flat_hash_map<std::string, size_t>& index, size_t start) {
  std::vector<size_t> walk;
  absl::flat_hash_map<size_t, size_t> position;
  size_t current = start;
  while (position.emplace(current, walk.size()).second) {
    walk.push_back(current);
    current = index.at(revisions[current].parent);
  }
  std::vector<std::string> names;
  for (size_t i = position.at(current); i < walk.size(); ++i) {
    names.push_back(Named(revisions[walk[i]]));
  }
  names.push_back(revisions[current].id);
  return absl::StrJoin(names, " -> ");
}

}  // namespace

std::vector<std::string> SplitStatements(absl::string_view sql) {
  std::vector<std::string> statements;
  BodyTracker body;
  size_t start = 0;
  // Whether the statement so far holds anything besides whitespace and
  // comments.
  bool has_code = false;
  const auto finish = [&](size_t end) {
    if (has_code) {
      statements.emplace_back(absl::StripAsciiWhitespace(sql.substr(start, end - start)));
    }
    start = end + 1;
    has_code = false;
    body.Reset();
  };

  size_t i = 0;
  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (c == '-' && next == '-') {
      i = std::min(sql.find('\n', i), sql.size());
    } else if (c == '/' && next == '*') {
      const size_t close = sql.find("*/", i + 2);
      i = close == absl::string_view::npos ? sql.size() : close + 2;
    } else if (c == '\'' || c == '"') {
      has_code = true;
      i = SkipQuoted(sql, i, /*backslash=*/false);
    } else if (c == '$' && !DollarTag(sql, i).empty()) {
      has_code = true;
      const absl::string_view tag = DollarTag(sql, i);
      const size_t close = sql.find(tag, i + tag.size());
      i = close == absl::string_view::npos ? sql.size() : close + tag.size();
    } else if (IsWordStart(c)) {
      has_code = true;
      size_t end = i;
      while (end < sql.size() && IsWordChar(sql[end])) ++end;
      const absl::string_view word = sql.substr(i, end - i);
      if (absl::EqualsIgnoreCase(word, "E") && end < sql.size() && sql[end] == '\'') {
        i = SkipQuoted(sql, end, /*backslash=*/true);
        continue;
      }
      // A word after '.' is a column or table name, never a keyword.
      if (i == 0 || sql[i - 1] != '.') {
        body.OnWord(word, NextToken(sql, end));
      }
      i = end;
    } else if (c == ';' && !body.in_body()) {
      finish(i);
      ++i;
    } else {
      if (!absl::ascii_isspace(c)) has_code = true;
      ++i;
    }
  }
  finish(sql.size());
  return statements;
}

std::string FormatRevision(const Revision& revision) {
  std::string out = absl::StrCat(kFirstLine, "\n");
  AppendHeader(out, "id", revision.id);
  AppendHeader(out, "parent", revision.parent.empty() ? kBase : revision.parent);
  AppendHeader(out, "message", revision.message);
  AppendHeader(out, "dialect", revision.dialect);
  if (!revision.created.empty()) AppendHeader(out, "created", revision.created);
  AppendHeader(out, "transactional", revision.transactional ? "true" : "false");
  if (revision.sqlite_foreign_keys_off) AppendHeader(out, "sqlite-foreign-keys", "off");
  for (const std::string& entry : revision.destructive_up) {
    AppendHeader(out, "destructive-up", entry);
  }
  for (const std::string& entry : revision.destructive_down) {
    AppendHeader(out, "destructive-down", entry);
  }
  absl::StrAppend(&out, "\n", kUpMarker, "\n");
  AppendStep(out, revision.up);
  absl::StrAppend(&out, kDownMarker, "\n");
  AppendStep(out, revision.down);
  absl::StrAppend(&out, kEndMarker, "\n");
  return out;
}

absl::StatusOr<Revision> ParseRevision(absl::string_view text, absl::string_view path) {
  const std::string normalized = absl::StrReplaceAll(text, {{"\r\n", "\n"}});
  Revision revision;
  revision.path = std::string(path);

  const std::vector<absl::string_view> lines = absl::StrSplit(normalized, '\n');
  const auto line_is = [&lines](size_t i, absl::string_view marker) {
    return absl::StripTrailingAsciiWhitespace(lines[i]) == marker;
  };
  if (!line_is(0, kFirstLine)) {
    return LineError(path, 1, "not a duo-migrate revision: the first line must be \"", kFirstLine,
                     "\"");
  }

  // The file proves it is whole with its end marker, which only blank and
  // comment lines may follow (a note appended after it is an edit, not a
  // cut). Files written before the marker existed lack it; adding the line
  // keeps their checksum, which covers the text without the marker line,
  // so an applied revision does not read as edited.
  size_t end_marker = lines.size();
  while (end_marker > 0 && !line_is(end_marker - 1, kEndMarker)) {
    const absl::string_view line = absl::StripAsciiWhitespace(lines[end_marker - 1]);
    if (!line.empty() && !absl::StartsWith(line, "--")) {
      end_marker = 0;
      break;
    }
    --end_marker;
  }
  if (end_marker == 0) {
    return FileError(path, "no \"", kEndMarker, "\" line at the end: the file may be cut short ",
                     "(a partial write or a bad merge), so none of it is run. If it is whole ",
                     "(revision files written before duo-migrate required the line lack it), ",
                     "add \"", kEndMarker, "\" as its last line; its checksum does not change");
  }
  --end_marker;
  size_t marker_at = 0;  // where the end marker line starts in `normalized`
  for (size_t i = 0; i < end_marker; ++i) marker_at += lines[i].size() + 1;
  std::string checksummed = normalized;
  checksummed.erase(marker_at,
                    std::min(lines[end_marker].size() + 1, normalized.size() - marker_at));
  revision.checksum = absl::StrCat("sha256:", migrate_internal::Sha256Hex(checksummed));

  size_t up_marker = 1;
  while (up_marker < end_marker && !line_is(up_marker, kUpMarker)) ++up_marker;
  if (up_marker == end_marker) return FileError(path, "no \"", kUpMarker, "\" marker line");

  absl::flat_hash_set<std::string> seen;
  for (size_t i = 1; i < up_marker; ++i) {
    const absl::string_view line = absl::StripAsciiWhitespace(lines[i]);
    if (line.empty()) continue;
    if (line == kDownMarker) {
      return LineError(path, i + 1, "\"", kDownMarker, "\" before \"", kUpMarker, "\"");
    }
    if (!absl::StartsWith(line, "--")) {
      return LineError(path, i + 1, "expected \"-- key: value\" header lines up to \"", kUpMarker,
                       "\"");
    }
    absl::string_view value;
    const absl::string_view key = HeaderKey(line, value);
    if (key.empty()) continue;  // an ordinary comment
    DUO_RETURN_IF_ERROR(ParseHeaderLine(path, i + 1, key, value, seen, revision));
  }
  for (absl::string_view key : {"id", "parent", "dialect"}) {
    if (!seen.contains(key)) {
      return FileError(path, "no \"-- ", key, ":\" header line",
                       key == "parent" ? " (\"-- parent: base\" for the first revision)" : "");
    }
  }

  // The up step runs to "-- duo:down" or, without one, to the end marker.
  std::vector<absl::string_view> up, down;
  std::vector<absl::string_view>* step = &up;
  bool up_says_nothing = false;
  for (size_t i = up_marker + 1; i < end_marker; ++i) {
    if (line_is(i, kUpMarker)) {
      return LineError(path, i + 1, "a second \"", kUpMarker, "\" marker");
    }
    if (line_is(i, kEndMarker)) {
      return LineError(path, i + 1, "\"", kEndMarker, "\" before the end of the file");
    }
    if (line_is(i, kDownMarker)) {
      if (step == &down) return LineError(path, i + 1, "a second \"", kDownMarker, "\" marker");
      step = &down;
      continue;
    }
    if (step == &up && line_is(i, kNothing)) up_says_nothing = true;
    step->push_back(lines[i]);
  }
  revision.up = SplitStatements(absl::StrJoin(up, "\n"));
  revision.down = SplitStatements(absl::StrJoin(down, "\n"));
  // An up step emptied by accident (statements lost in a merge) is told
  // apart from one that is empty on purpose, which says so.
  if (revision.up.empty() && !up_says_nothing) {
    return LineError(path, up_marker + 1, "the up step holds no statement; write \"", kNothing,
                     "\" under \"", kUpMarker, "\" if the revision is meant to do nothing");
  }
  return revision;
}

absl::StatusOr<Revision> ReadRevisionFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return ErrnoError(errno, absl::StrCat("cannot open revision file ", path));
  std::string text;
  char buffer[8192];
  size_t size;
  while ((size = std::fread(buffer, 1, sizeof(buffer), file)) > 0) text.append(buffer, size);
  const int error = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (error != 0) return ErrnoError(error, absl::StrCat("cannot read revision file ", path));
  return ParseRevision(text, path);
}

absl::StatusOr<std::string> WriteRevisionFile(const std::string& directory,
                                              const Revision& revision) {
  const std::string slug = Slug(revision.message);
  const std::string path = (std::filesystem::path(directory) /
                            absl::StrCat(revision.id, slug.empty() ? "" : "_", slug, ".sql"))
                               .string();
  const std::string text = FormatRevision(revision);

  // A statement with an unbalanced quote, or a marker line inside, would
  // read back as other statements: better to fail now than at upgrade time.
  DUO_ASSIGN_OR_RETURN(const Revision written, ParseRevision(text, path));
  if (!ReadsBack(revision.up, written.up) || !ReadsBack(revision.down, written.down)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": the statements would not read back as written (an unclosed quote ",
                     "or comment, a trailing ';', or a \"-- duo:\" marker line in a statement?)"));
  }

  // "x" (O_EXCL): an existing file is never replaced, even by a race.
  std::FILE* file = std::fopen(path.c_str(), "wx");
  if (file == nullptr) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat(path, " already exists; not overwriting it"));
    }
    return ErrnoError(errno, absl::StrCat("cannot create revision file ", path));
  }
  const bool written_ok = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  if (std::fclose(file) != 0 || !written_ok) {
    const int error = errno;
    std::remove(path.c_str());
    return ErrnoError(error, absl::StrCat("cannot write revision file ", path));
  }
  return path;
}

absl::StatusOr<std::vector<Revision>> LoadRevisions(const std::string& directory) {
  std::error_code error;
  std::vector<std::string> paths;
  for (std::filesystem::directory_iterator it(directory, error), end; !error && it != end;
       it.increment(error)) {
    if (it->path().extension() == ".sql" && it->is_regular_file(error)) {
      paths.push_back(it->path().string());
    }
  }
  if (error) {
    return ErrnoError(error.value(), absl::StrCat("cannot list revision directory ", directory));
  }
  std::sort(paths.begin(), paths.end());

  std::vector<Revision> revisions;
  absl::flat_hash_map<std::string, std::string> path_of_id;
  for (const std::string& path : paths) {
    DUO_ASSIGN_OR_RETURN(Revision revision, ReadRevisionFile(path));
    const auto [it, inserted] = path_of_id.emplace(revision.id, path);
    if (!inserted) {
      return absl::FailedPreconditionError(absl::StrCat(
          "revision id ", revision.id, " is in two files, ", it->second, " and ", path,
          "; give one of them a new id (and update any revision naming it as parent)"));
    }
    revisions.push_back(std::move(revision));
  }
  return revisions;
}

absl::StatusOr<std::vector<Revision>> OrderRevisions(std::vector<Revision> revisions) {
  if (revisions.empty()) return revisions;
  absl::flat_hash_map<std::string, size_t> index;
  for (size_t i = 0; i < revisions.size(); ++i) {
    const auto [it, inserted] = index.emplace(revisions[i].id, i);
    if (!inserted) {
      return absl::FailedPreconditionError(absl::StrCat("two revisions have id ", revisions[i].id,
                                                        ": ", Named(revisions[it->second]), " and ",
                                                        Named(revisions[i])));
    }
  }

  std::vector<size_t> roots;
  absl::flat_hash_map<std::string, std::vector<size_t>> children;
  for (size_t i = 0; i < revisions.size(); ++i) {
    const Revision& revision = revisions[i];
    if (revision.parent.empty()) {
      roots.push_back(i);
    } else if (!index.contains(revision.parent)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "revision ", Named(revision), " has parent ", revision.parent,
          ", which no revision has; restore that revision's file or re-parent ", revision.id));
    } else {
      children[revision.parent].push_back(i);
    }
  }
  if (roots.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no revision has parent base; the parents form a cycle: ",
                     DescribeCycle(revisions, index, 0)));
  }
  if (roots.size() > 1) {
    std::vector<std::string> names;
    for (const size_t root : roots) names.push_back(Named(revisions[root]));
    return absl::FailedPreconditionError(absl::StrCat(
        "several revisions have parent base: ", absl::StrJoin(names, ", "),
        "; only the first revision may, so re-parent the others onto the head of the chain"));
  }
  for (const Revision& revision : revisions) {
    const auto it = children.find(revision.id);
    if (it == children.end() || it->second.size() < 2) continue;
    std::vector<std::string> names;
    for (const size_t child : it->second) names.push_back(Named(revisions[child]));
    const Revision& first = revisions[it->second[0]];
    const Revision& second = revisions[it->second[1]];
    return absl::FailedPreconditionError(absl::StrCat(
        "the history branches: ", absl::StrJoin(names, " and "), " have the same parent ",
        Named(revision), "; re-parent one onto the other, e.g. set \"-- parent: ", first.id,
        "\" in ", second.path.empty() ? second.id : second.path,
        ", and check that its SQL still applies after ", first.id, "'s"));
  }

  std::vector<size_t> chain;
  std::vector<bool> reached(revisions.size(), false);
  for (size_t current = roots[0];;) {
    reached[current] = true;
    chain.push_back(current);
    const auto it = children.find(revisions[current].id);
    if (it == children.end()) break;
    current = it->second[0];
  }
  if (chain.size() < revisions.size()) {
    // With one root and no branch, whatever the chain missed lies on a cycle.
    const size_t stray = std::find(reached.begin(), reached.end(), false) - reached.begin();
    return absl::FailedPreconditionError(absl::StrCat(
        "the parents of some revisions form a cycle: ", DescribeCycle(revisions, index, stray)));
  }
  std::vector<Revision> ordered;
  ordered.reserve(revisions.size());
  for (const size_t i : chain) ordered.push_back(std::move(revisions[i]));
  return ordered;
}

std::vector<std::string> Heads(const std::vector<Revision>& revisions) {
  absl::flat_hash_set<absl::string_view> parents;
  for (const Revision& revision : revisions) parents.insert(revision.parent);
  std::vector<std::string> heads;
  for (const Revision& revision : revisions) {
    if (!parents.contains(revision.id)) heads.push_back(revision.id);
  }
  return heads;
}

std::string NewRevisionId() {
  static constexpr char kHexDigits[] = "0123456789abcdef";
  std::random_device device;
  std::uniform_int_distribution<int> digit(0, 15);
  std::string id;
  for (size_t i = 0; i < kIdLength; ++i) id.push_back(kHexDigits[digit(device)]);
  return id;
}

}  // namespace duo::migrate
