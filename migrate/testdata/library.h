// Two versions of one application's models, in two model groups, for
// duo-migrate's tests: "library_v1", and "library_v2" where
//   books gains a column (pages), an index (books_author_title_idx) and a
//   foreign key (translator_id → authors.id); books.title becomes
//   nullable; books.note is dropped; authors.bio gains a default.

#ifndef MIGRATE_TESTDATA_LIBRARY_H_
#define MIGRATE_TESTDATA_LIBRARY_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "duo/model/schema.h"
#include "duo/sql/value.h"

namespace library {

inline duo::Models v1_models("library_v1");
inline duo::Models v2_models("library_v2");

namespace v1 {

struct Author {
  int64_t id = 0;
  std::string name;
  std::optional<std::string> bio;
  double rating = 0;
  absl::Time created_at;
  static duo::Schema<Author> Table();
};

struct Book {
  int64_t id = 0;
  int64_t author_id = 0;
  std::optional<int64_t> translator_id;
  std::string title;
  duo::sql::Decimal price;
  std::string status;
  std::optional<std::string> note;
  static duo::Schema<Book> Table();
};

struct Shelf {
  int64_t book_id = 0;
  int32_t position = 0;
  std::string room;
  static duo::Schema<Shelf> Table();
};

}  // namespace v1

namespace v2 {

struct Author {
  int64_t id = 0;
  std::string name;
  std::optional<std::string> bio;
  double rating = 0;
  absl::Time created_at;
  static duo::Schema<Author> Table();
};

struct Book {
  int64_t id = 0;
  int64_t author_id = 0;
  std::optional<int64_t> translator_id;
  std::optional<std::string> title;
  duo::sql::Decimal price;
  std::string status;
  std::optional<int32_t> pages;
  static duo::Schema<Book> Table();
};

struct Shelf {
  int64_t book_id = 0;
  int32_t position = 0;
  std::string room;
  static duo::Schema<Shelf> Table();
};

}  // namespace v2
}  // namespace library

#endif  // MIGRATE_TESTDATA_LIBRARY_H_
