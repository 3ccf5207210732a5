#include "migrate/testdata/library.h"

#include "duo/sql/functions.h"

namespace library {
namespace {

// Shared by both versions: the columns that do not change.
template <typename Author>
duo::Schema<Author> AuthorColumns(duo::Schema<Author> schema) {
  schema.Column(&Author::id, "id", duo::PrimaryKey())
      .Column(&Author::name, "name", duo::Length(100), duo::Unique())
      .Column(&Author::rating, "rating", duo::ServerDefault(duo::sql::Param(0.0)))
      .Column(&Author::created_at, "created_at", duo::ServerDefault(duo::sql::CurrentTimestamp()));
  return schema;
}

template <typename Shelf>
duo::Schema<Shelf> ShelfSchema(const duo::Models& models) {
  duo::Schema<Shelf> schema("shelves", models);
  schema
      .Column(&Shelf::book_id, "book_id", duo::ForeignKey("books.id", {.on_delete = duo::kCascade}))
      .Column(&Shelf::position, "position")
      .Column(&Shelf::room, "room", duo::Length(40), duo::ServerDefault(duo::sql::Param("main")))
      .PrimaryKey({"book_id", "position"});
  schema.Check("shelves_position_positive", schema.Ref(&Shelf::position) > 0);
  schema.PartialIndex("shelves_far_idx", {"room"}, schema.Ref(&Shelf::position) > 10);
  return schema;
}

}  // namespace

namespace v1 {

duo::Schema<Author> Author::Table() {
  return AuthorColumns(duo::Schema<Author>("authors", v1_models)).Column(&Author::bio, "bio");
}

duo::Schema<Book> Book::Table() {
  duo::Schema<Book> schema("books", v1_models);
  schema.Column(&Book::id, "id", duo::PrimaryKey())
      .Column(&Book::author_id, "author_id",
              duo::ForeignKey("authors.id", {.on_delete = duo::kCascade}), duo::Index())
      .Column(&Book::translator_id, "translator_id")
      .Column(&Book::title, "title", duo::Length(200))
      .Column(&Book::price, "price", duo::Precision(10, 2))
      .Column(&Book::status, "status", duo::Length(20),
              duo::ServerDefault(duo::sql::Param("draft")))
      .Column(&Book::note, "note");
  schema.Check("books_price_nonnegative", schema.Ref(&Book::price) >= duo::sql::Decimal());
  return schema;
}

duo::Schema<Shelf> Shelf::Table() { return ShelfSchema<Shelf>(v1_models); }

DUO_REGISTER_MODEL(Author);
DUO_REGISTER_MODEL(Book);
DUO_REGISTER_MODEL(Shelf);

}  // namespace v1

namespace v2 {

duo::Schema<Author> Author::Table() {
  return AuthorColumns(duo::Schema<Author>("authors", v2_models))
      .Column(&Author::bio, "bio", duo::ServerDefault(duo::sql::Param("")));
}

duo::Schema<Book> Book::Table() {
  duo::Schema<Book> schema("books", v2_models);
  schema.Column(&Book::id, "id", duo::PrimaryKey())
      .Column(&Book::author_id, "author_id",
              duo::ForeignKey("authors.id", {.on_delete = duo::kCascade}), duo::Index())
      .Column(&Book::translator_id, "translator_id",
              duo::ForeignKey("authors.id", {.on_delete = duo::kSetNull}))
      .Column(&Book::title, "title", duo::Length(200))
      .Column(&Book::price, "price", duo::Precision(10, 2))
      .Column(&Book::status, "status", duo::Length(20),
              duo::ServerDefault(duo::sql::Param("draft")))
      .Column(&Book::pages, "pages")
      .Index("books_author_title_idx", {"author_id", "title"});
  schema.Check("books_price_nonnegative", schema.Ref(&Book::price) >= duo::sql::Decimal());
  return schema;
}

duo::Schema<Shelf> Shelf::Table() { return ShelfSchema<Shelf>(v2_models); }

DUO_REGISTER_MODEL(Author);
DUO_REGISTER_MODEL(Book);
DUO_REGISTER_MODEL(Shelf);

}  // namespace v2
}  // namespace library
