#include "duo/engine/sqlite/functions.h"

#include <locale.h>
#include <wctype.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "re2/re2.h"

namespace duo::engine::sqlite_internal {
namespace {

// ---- regexp ---------------------------------------------------------------

absl::string_view TextOf(sqlite3_value* value) {
  const unsigned char* text = sqlite3_value_text(value);
  if (text == nullptr) return absl::string_view();
  return absl::string_view(reinterpret_cast<const char*>(text),
                           static_cast<size_t>(sqlite3_value_bytes(value)));
}

void DeleteRegexp(void* regexp) { delete static_cast<RE2*>(regexp); }

// regexp(pattern, text): SQLite rewrites `text REGEXP pattern` to this.
void Regexp(sqlite3_context* context, int /*argc*/, sqlite3_value** args) {
  if (sqlite3_value_type(args[0]) == SQLITE_NULL || sqlite3_value_type(args[1]) == SQLITE_NULL) {
    return;  // NULL, as for every operator
  }
  // A pattern that is a literal or a bound value stays the same for the
  // whole statement; SQLite keeps the compiled form for us between rows.
  const RE2* regexp = static_cast<const RE2*>(sqlite3_get_auxdata(context, 0));
  std::unique_ptr<RE2> compiled;
  if (regexp == nullptr) {
    const absl::string_view pattern = TextOf(args[0]);
    RE2::Options options;
    options.set_log_errors(false);  // the error goes to the caller, not stderr
    compiled = std::make_unique<RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
    if (!compiled->ok()) {
      const std::string message =
          absl::StrCat("invalid regular expression \"", pattern, "\": ", compiled->error());
      sqlite3_result_error(context, message.data(), static_cast<int>(message.size()));
      return;
    }
    regexp = compiled.get();
  }
  const absl::string_view text = TextOf(args[1]);
  sqlite3_result_int(context,
                     RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), *regexp));
  // Last: SQLite may destroy the auxiliary data at once, e.g. for a pattern
  // that varies per row.
  if (compiled != nullptr) sqlite3_set_auxdata(context, 0, compiled.release(), &DeleteRegexp);
}

// ---- lower / upper --------------------------------------------------------

enum class Case { kLower, kUpper };
constexpr Case kLower = Case::kLower;
constexpr Case kUpper = Case::kUpper;

// Built once and never freed: a locale_t is immutable, so every connection
// on every thread may share it. (locale_t)0 when the C library lacks it.
locale_t Utf8Locale() {
  static const locale_t locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return locale;
}

char32_t MapAscii(char32_t c, Case to) {
  if (to == Case::kLower && c >= 'A' && c <= 'Z') return c + ('a' - 'A');
  if (to == Case::kUpper && c >= 'a' && c <= 'z') return c - ('a' - 'A');
  return c;
}

char32_t MapCodePoint(char32_t c, Case to, locale_t locale) {
  if (c < 0x80 || locale == static_cast<locale_t>(0)) return MapAscii(c, to);
  const wint_t mapped = to == Case::kLower ? towlower_l(static_cast<wint_t>(c), locale)
                                           : towupper_l(static_cast<wint_t>(c), locale);
  return static_cast<char32_t>(mapped);
}

// The length of the well-formed UTF-8 sequence at the start of `text`
// (RFC 3629: no overlong forms, surrogates or values past U+10FFFF), or 0.
int Utf8Length(absl::string_view text, char32_t* code_point) {
  const auto byte = [&text](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  int length;
  char32_t value;
  if (lead < 0x80) {
    *code_point = lead;
    return 1;
  } else if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07;
  } else {
    return 0;
  }
  if (text.size() < static_cast<size_t>(length)) return 0;
  for (int i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    value = (value << 6) | (byte(i) & 0x3F);
  }
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (value < kSmallest[length] || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) {
    return 0;
  }
  *code_point = value;
  return length;
}

void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string MapText(absl::string_view text, Case to) {
  const locale_t locale = Utf8Locale();
  std::string out;
  // Mapping may change a character's encoded length (U+0250 is two bytes,
  // its capital U+2C6F three), so the output grows as needed.
  out.reserve(text.size());
  while (!text.empty()) {
    char32_t c;
    const int length = Utf8Length(text, &c);
    if (length == 0) {
      out.push_back(text.front());
      text.remove_prefix(1);
      continue;
    }
    AppendUtf8(MapCodePoint(c, to, locale), &out);
    text.remove_prefix(length);
  }
  return out;
}

void MapCase(sqlite3_context* context, int /*argc*/, sqlite3_value** args) {
  if (sqlite3_value_type(args[0]) == SQLITE_NULL) return;  // NULL
  const Case to = *static_cast<const Case*>(sqlite3_user_data(context));
  const std::string mapped = MapText(TextOf(args[0]), to);
  sqlite3_result_text64(context, mapped.data(), mapped.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

}  // namespace

bool HasUnicodeCaseMapping() { return Utf8Locale() != static_cast<locale_t>(0); }

int RegisterFunctions(sqlite3* db) {
  constexpr int kFlags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  int code = sqlite3_create_function_v2(db, "regexp", 2, kFlags, nullptr, &Regexp, nullptr, nullptr,
                                        nullptr);
  if (code != SQLITE_OK) return code;
  // Names of their own, not the built-ins' (which a same-named function
  // would replace on this connection only): an index or CHECK on lower(x)
  // must mean the same to every client of the file, the sqlite3 shell
  // included. The user data is void* in SQLite's API; MapCase only reads it.
  code = sqlite3_create_function_v2(db, "duo_lower", 1, kFlags, const_cast<Case*>(&kLower),
                                    &MapCase, nullptr, nullptr, nullptr);
  if (code != SQLITE_OK) return code;
  return sqlite3_create_function_v2(db, "duo_upper", 1, kFlags, const_cast<Case*>(&kUpper),
                                    &MapCase, nullptr, nullptr, nullptr);
}

}  // namespace duo::engine::sqlite_internal
