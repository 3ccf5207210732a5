// Model declarations (duo/model/schema.h) as ModelMeta sees them: the
// errors a Table() declaration can make, each naming the model and the
// column at fault; what the column options turn into; relationships
// resolved against the related models. No database.

#include "duo/model/schema.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "duo/model/meta.h"
#include "duo/model/models.h"
#include "duo/model/one.h"
#include "duo/sql/expr.h"
#include "duo/sql/types.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace schema_test {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A group of its own, so that nothing here joins the default group.
duo::Models& TestModels() {
  static duo::Models* models = new duo::Models("schema_test");
  return *models;
}

// --- Declaration errors ---------------------------------------------------

struct NoKey {
  int64_t id = 0;
  std::string name;
  static duo::Schema<NoKey> Table() {
    return duo::Schema<NoKey>("no_keys", TestModels())
        .Column(&NoKey::id, "id")
        .Column(&NoKey::name, "name");
  }
};

struct UnknownIndexColumn {
  int64_t id = 0;
  static duo::Schema<UnknownIndexColumn> Table() {
    return duo::Schema<UnknownIndexColumn>("unknown_index", TestModels())
        .Column(&UnknownIndexColumn::id, "id", duo::PrimaryKey())
        .Index("unknown_index_missing_idx", {"missing"});
  }
};

struct UnknownUniqueColumn {
  int64_t id = 0;
  static duo::Schema<UnknownUniqueColumn> Table() {
    return duo::Schema<UnknownUniqueColumn>("unknown_unique", TestModels())
        .Column(&UnknownUniqueColumn::id, "id", duo::PrimaryKey())
        .Unique("unknown_unique_key", {"id", "ghost"});
  }
};

struct UnknownForeignKeyColumn {
  int64_t id = 0;
  static duo::Schema<UnknownForeignKeyColumn> Table() {
    return duo::Schema<UnknownForeignKeyColumn>("unknown_fk", TestModels())
        .Column(&UnknownForeignKeyColumn::id, "id", duo::PrimaryKey())
        .ForeignKey({"parent_id"}, "parents", {"id"});
  }
};

struct MalformedForeignKeyTarget {
  int64_t id = 0;
  int64_t parent_id = 0;
  static duo::Schema<MalformedForeignKeyTarget> Table() {
    return duo::Schema<MalformedForeignKeyTarget>("malformed_fk", TestModels())
        .Column(&MalformedForeignKeyTarget::id, "id", duo::PrimaryKey())
        .Column(&MalformedForeignKeyTarget::parent_id, "parent_id", duo::ForeignKey("parents"));
  }
};

struct DuplicateColumn {
  int64_t id = 0;
  std::string a;
  std::string b;
  static duo::Schema<DuplicateColumn> Table() {
    return duo::Schema<DuplicateColumn>("duplicates", TestModels())
        .Column(&DuplicateColumn::id, "id", duo::PrimaryKey())
        .Column(&DuplicateColumn::a, "label")
        .Column(&DuplicateColumn::b, "label");
  }
};

struct UndeclaredKey {
  int64_t id = 0;
  static duo::Schema<UndeclaredKey> Table() {
    return duo::Schema<UndeclaredKey>("undeclared_key", TestModels())
        .Column(&UndeclaredKey::id, "id")
        .PrimaryKey({"id", "version"});
  }
};

struct TimestampOnText {
  int64_t id = 0;
  std::string created;
  static duo::Schema<TimestampOnText> Table() {
    return duo::Schema<TimestampOnText>("timestamp_on_text", TestModels())
        .Column(&TimestampOnText::id, "id", duo::PrimaryKey())
        .Column(&TimestampOnText::created, "created", duo::CreatedAt());
  }
};

struct AutoIncrementText {
  std::string code;
  static duo::Schema<AutoIncrementText> Table() {
    return duo::Schema<AutoIncrementText>("autoincrement_text", TestModels())
        .Column(&AutoIncrementText::code, "code", duo::PrimaryKey(), duo::AutoIncrement());
  }
};

struct Target {
  int64_t id = 0;
  static duo::Schema<Target> Table() {
    return duo::Schema<Target>("targets", TestModels())
        .Column(&Target::id, "id", duo::PrimaryKey());
  }
};

struct BelongsToUndeclaredKey {
  int64_t id = 0;
  int64_t target_id = 0;  // not declared with Column
  duo::One<Target> target;
  static duo::Schema<BelongsToUndeclaredKey> Table() {
    return duo::Schema<BelongsToUndeclaredKey>("belongs_undeclared", TestModels())
        .Column(&BelongsToUndeclaredKey::id, "id", duo::PrimaryKey())
        .BelongsTo("target", &BelongsToUndeclaredKey::target, &BelongsToUndeclaredKey::target_id);
  }
};

TEST(SchemaDeclarationTest, NoPrimaryKeyNamesTheModelAndTable) {
  const absl::Status& status = duo::MetaOf<NoKey>().declaration_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "model schema_test::NoKey (table \"no_keys\"): no primary key is declared");
}

TEST(SchemaDeclarationTest, UnknownIndexColumn) {
  const absl::Status& status = duo::MetaOf<UnknownIndexColumn>().declaration_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "model schema_test::UnknownIndexColumn (table \"unknown_index\"): an index names "
            "column \"missing\", which is not declared");
}

TEST(SchemaDeclarationTest, UnknownUniqueConstraintColumn) {
  const absl::Status& status = duo::MetaOf<UnknownUniqueColumn>().declaration_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("schema_test::UnknownUniqueColumn"));
  EXPECT_THAT(status.message(),
              HasSubstr("a unique constraint names column \"ghost\", which is not declared"));
}

TEST(SchemaDeclarationTest, UnknownForeignKeyColumn) {
  const absl::Status& status = duo::MetaOf<UnknownForeignKeyColumn>().declaration_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "model schema_test::UnknownForeignKeyColumn (table \"unknown_fk\"): a foreign key "
            "names column \"parent_id\", which is not declared");
}

TEST(SchemaDeclarationTest, ForeignKeyTargetMustNameTableAndColumn) {
  const absl::Status& status = duo::MetaOf<MalformedForeignKeyTarget>().declaration_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("schema_test::MalformedForeignKeyTarget"));
  EXPECT_THAT(status.message(), HasSubstr("ForeignKey(\"parents\") on column \"parent_id\" "
                                          "must name \"table.column\""));
}

TEST(SchemaDeclarationTest, ColumnDeclaredTwice) {
  const absl::Status& status = duo::MetaOf<DuplicateColumn>().declaration_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("(table \"duplicates\")"));
  EXPECT_THAT(status.message(), HasSubstr("column \"label\" is declared twice"));
}

TEST(SchemaDeclarationTest, PrimaryKeyColumnNotDeclared) {
  const absl::Status& status = duo::MetaOf<UndeclaredKey>().declaration_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("schema_test::UndeclaredKey"));
  EXPECT_THAT(status.message(), HasSubstr("primary key column \"version\" is not declared"));
}

TEST(SchemaDeclarationTest, TimestampRoleNeedsATimeMember) {
  const absl::Status& status = duo::MetaOf<TimestampOnText>().declaration_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(),
              HasSubstr("CreatedAt/UpdatedAt column \"created\" must be an absl::Time member"));
}

TEST(SchemaDeclarationTest, AutoIncrementNeedsASingleIntegerKey) {
  const absl::Status& status = duo::MetaOf<AutoIncrementText>().declaration_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("AutoIncrement on \"code\" needs it to be the only, "
                                          "integer, primary key column"));
}

TEST(SchemaDeclarationTest, BelongsToWithUndeclaredForeignKeyMember) {
  const absl::Status& status = duo::MetaOf<BelongsToUndeclaredKey>().declaration_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("schema_test::BelongsToUndeclaredKey"));
  EXPECT_THAT(status.message(), HasSubstr("relationship \"target\": its foreign key member is "
                                          "not declared with Column"));
}

TEST(SchemaDeclarationTest, FirstErrorIsKept) {
  // NoKey has one error; a model with several reports the first one found
  // (the duplicate column comes before the missing key).
  struct Both {
    int64_t a = 0;
    int64_t b = 0;
    static duo::Schema<Both> Table() {
      return duo::Schema<Both>("both_errors", TestModels())
          .Column(&Both::a, "x")
          .Column(&Both::b, "x");
    }
  };
  const absl::Status& status = duo::MetaOf<Both>().declaration_status();
  EXPECT_THAT(status.message(), HasSubstr("column \"x\" is declared twice"));
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("no primary key")));
}

// --- Column options -------------------------------------------------------

struct Item {
  int64_t id = 0;
  std::string sku;
  std::string title;
  duo::sql::Decimal price;
  std::optional<std::string> note;
  std::string status = "new";
  int32_t rank = 0;
  std::string legacy;
  absl::Time created_at;
  std::optional<absl::Time> updated_at;
  int64_t target_id = 0;
  double weight = 0;
  std::vector<int64_t> tags;

  static duo::Schema<Item> Table() {
    return duo::Schema<Item>("items", TestModels())
        .Column(&Item::id, "id", duo::PrimaryKey())
        .Column(&Item::sku, "sku", duo::Unique(), duo::Length(32))
        .Column(&Item::title, "title", duo::Index())
        .Column(&Item::price, "price", duo::Precision(10, 2))
        .Column(&Item::note, "note")
        .Column(&Item::status, "status", duo::ServerDefault(duo::sql::Param("new")))
        .Column(&Item::rank, "rank", duo::UniqueIndex("items_by_rank"))
        .Column(&Item::legacy, "legacy", duo::Nullable(),
                duo::Type(duo::sql::SqlType::Custom("citext")))
        .Column(&Item::created_at, "created_at", duo::CreatedAt())
        .Column(&Item::updated_at, "updated_at", duo::UpdatedAt())
        .Column(&Item::target_id, "target_id",
                duo::ForeignKey("targets.id",
                                {.on_delete = duo::kCascade, .on_update = duo::kRestrict}))
        .Column(&Item::weight, "weight", duo::Nullable(false))
        .Column(&Item::tags, "tags")
        .Index("items_title_rank", {"title", "rank"}, /*unique=*/true)
        .Unique("items_sku_title", {"sku", "title"});
  }
};

const duo::ColumnMeta& ColumnOf(const duo::ModelMeta& meta, const std::string& name) {
  const duo::ColumnMeta* column = meta.FindColumn(name);
  EXPECT_NE(column, nullptr) << name;
  static const duo::ColumnMeta kMissing;
  return column == nullptr ? kMissing : *column;
}

TEST(SchemaColumnTest, DeclarationIsValid) {
  const duo::ModelMeta& meta = duo::MetaOf<Item>();
  EXPECT_TRUE(meta.declaration_status().ok()) << meta.declaration_status();
  EXPECT_EQ(meta.model_name(), "schema_test::Item");
  EXPECT_EQ(&meta.models(), &TestModels());
  EXPECT_EQ(meta.table().name(), "items");
}

TEST(SchemaColumnTest, ColumnNamesInDeclarationOrder) {
  const duo::ModelMeta& meta = duo::MetaOf<Item>();
  EXPECT_EQ(meta.ColumnNames(),
            "id, sku, title, price, note, status, rank, legacy, created_at, updated_at, "
            "target_id, weight, tags");
  EXPECT_EQ(meta.ColumnIndex("title"), 2);
  EXPECT_EQ(meta.ColumnIndex("nope"), -1);
  EXPECT_EQ(meta.FindColumn("nope"), nullptr);
  const absl::Status unknown = meta.UnknownColumn("nope");
  EXPECT_EQ(unknown.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.message(),
            "schema_test::Item has no column \"nope\"; its columns are: id, sku, title, price, "
            "note, status, rank, legacy, created_at, updated_at, target_id, weight, tags");
}

TEST(SchemaColumnTest, SingleIntegerKeyIsAutoincrement) {
  const duo::ModelMeta& meta = duo::MetaOf<Item>();
  const duo::ColumnMeta& id = ColumnOf(meta, "id");
  EXPECT_TRUE(id.primary_key);
  EXPECT_TRUE(id.autoincrement);
  EXPECT_TRUE(id.server_generated);
  EXPECT_FALSE(id.nullable);
  EXPECT_EQ(id.type, duo::sql::SqlType::BigInt());
  EXPECT_THAT(meta.primary_key(), ElementsAre(0));
  EXPECT_THAT(meta.table_def().primary_key, ElementsAre("id"));
}

TEST(SchemaColumnTest, TypesFollowMembersAndOptions) {
  const duo::ModelMeta& meta = duo::MetaOf<Item>();
  using duo::sql::SqlType;
  EXPECT_EQ(ColumnOf(meta, "sku").type, SqlType::Varchar(32));
  EXPECT_EQ(ColumnOf(meta, "title").type, SqlType::Text());
  EXPECT_EQ(ColumnOf(meta, "price").type, SqlType::Numeric(10, 2));
  EXPECT_EQ(ColumnOf(meta, "rank").type, SqlType::Integer());
  EXPECT_EQ(ColumnOf(meta, "legacy").type, SqlType::Custom("citext"));
  EXPECT_EQ(ColumnOf(meta, "created_at").type, SqlType::Timestamp());
  EXPECT_EQ(ColumnOf(meta, "weight").type, SqlType::Double());
  EXPECT_EQ(ColumnOf(meta, "tags").type, SqlType::Array(SqlType::Kind::kBigInt));
  EXPECT_EQ(ColumnOf(meta, "tags").category, duo::sql::TypeCategory::kArray);
  EXPECT_EQ(ColumnOf(meta, "price").category, duo::sql::TypeCategory::kNumeric);
  EXPECT_EQ(ColumnOf(meta, "title").category, duo::sql::TypeCategory::kText);
}

TEST(SchemaColumnTest, Nullability) {
  const duo::ModelMeta& meta = duo::MetaOf<Item>();
  EXPECT_TRUE(ColumnOf(meta, "note").nullable);        // std::optional
  EXPECT_TRUE(ColumnOf(meta, "updated_at").nullable);  // std::optional
  EXPECT_TRUE(ColumnOf(meta, "legacy").nullable);      // Nullable()
  EXPECT_FALSE(ColumnOf(meta, "title").nullable);
  EXPECT_FALSE(ColumnOf(meta, "weight").nullable);  // Nullable(false)
  EXPECT_FALSE(meta.table_def().FindColumn("title")->nullable);
  EXPECT_TRUE(meta.table_def().FindColumn("note")->nullable);
}

TEST(SchemaColumnTest, UniqueAndServerDefaultAndTimestamps) {
  const duo::ModelMeta& meta = duo::MetaOf<Item>();
  EXPECT_TRUE(meta.table_def().FindColumn("sku")->unique);
  EXPECT_FALSE(meta.table_def().FindColumn("title")->unique);
  EXPECT_TRUE(ColumnOf(meta, "status").server_generated);
  EXPECT_FALSE(meta.table_def().FindColumn("status")->server_default.empty());
  EXPECT_FALSE(ColumnOf(meta, "title").server_generated);
  EXPECT_FALSE(ColumnOf(meta, "title").autoincrement);
  EXPECT_EQ(ColumnOf(meta, "created_at").timestamp, duo::TimestampRole::kCreatedAt);
  EXPECT_EQ(ColumnOf(meta, "updated_at").timestamp, duo::TimestampRole::kUpdatedAt);
  EXPECT_EQ(ColumnOf(meta, "title").timestamp, duo::TimestampRole::kNone);
}

TEST(SchemaColumnTest, IndexesAndUniqueConstraints) {
  const duo::sql::TableDef& def = duo::MetaOf<Item>().table_def();
  ASSERT_EQ(def.indexes.size(), 3u);
  // Table-level indexes are declared first; column options add theirs when
  // the model is built.
  EXPECT_EQ(def.indexes[0].name, "items_title_rank");
  EXPECT_THAT(def.indexes[0].columns, ElementsAre("title", "rank"));
  EXPECT_TRUE(def.indexes[0].unique);
  EXPECT_EQ(def.indexes[1].name, "items_title_idx");  // "<table>_<column>_idx"
  EXPECT_THAT(def.indexes[1].columns, ElementsAre("title"));
  EXPECT_FALSE(def.indexes[1].unique);
  EXPECT_EQ(def.indexes[2].name, "items_by_rank");
  EXPECT_THAT(def.indexes[2].columns, ElementsAre("rank"));
  EXPECT_TRUE(def.indexes[2].unique);
  ASSERT_EQ(def.uniques.size(), 1u);
  EXPECT_EQ(def.uniques[0].name, "items_sku_title");
  EXPECT_THAT(def.uniques[0].columns, ElementsAre("sku", "title"));
}

TEST(SchemaColumnTest, ForeignKeyOption) {
  const duo::sql::TableDef& def = duo::MetaOf<Item>().table_def();
  ASSERT_EQ(def.foreign_keys.size(), 1u);
  const duo::sql::ForeignKeyDef& fk = def.foreign_keys[0];
  EXPECT_EQ(fk.name, "items_target_id_fkey");
  EXPECT_THAT(fk.columns, ElementsAre("target_id"));
  EXPECT_EQ(fk.referenced_table, "targets");
  EXPECT_THAT(fk.referenced_columns, ElementsAre("id"));
  EXPECT_EQ(fk.on_delete, duo::kCascade);
  EXPECT_EQ(fk.on_update, duo::kRestrict);
}

struct Pair {
  int32_t left = 0;
  int32_t right = 0;
  std::string label;
  static duo::Schema<Pair> Table() {
    return duo::Schema<Pair>("pairs", TestModels())
        .Column(&Pair::left, "left_id")
        .Column(&Pair::right, "right_id")
        .Column(&Pair::label, "label")
        .PrimaryKey({"right_id", "left_id"});
  }
};

struct ManualKey {
  int64_t id = 0;
  static duo::Schema<ManualKey> Table() {
    return duo::Schema<ManualKey>("manual_keys", TestModels())
        .Column(&ManualKey::id, "id", duo::PrimaryKey(), duo::AutoIncrement(false));
  }
};

TEST(SchemaColumnTest, CompositeKeyInDeclaredOrderWithoutAutoincrement) {
  const duo::ModelMeta& meta = duo::MetaOf<Pair>();
  ASSERT_TRUE(meta.declaration_status().ok()) << meta.declaration_status();
  EXPECT_THAT(meta.primary_key(), ElementsAre(1, 0));
  EXPECT_TRUE(ColumnOf(meta, "left_id").primary_key);
  EXPECT_FALSE(ColumnOf(meta, "left_id").autoincrement);
  EXPECT_FALSE(ColumnOf(meta, "right_id").autoincrement);
  EXPECT_FALSE(ColumnOf(meta, "label").primary_key);
  Pair pair{.left = 3, .right = 4, .label = "x"};
  const std::vector<duo::sql::Value> key = meta.KeyOf(&pair);
  ASSERT_EQ(key.size(), 2u);
  EXPECT_EQ(key[0], duo::sql::Value(int32_t{4}));
  EXPECT_EQ(key[1], duo::sql::Value(int32_t{3}));
}

TEST(SchemaColumnTest, AutoIncrementCanBeTurnedOff) {
  const duo::ModelMeta& meta = duo::MetaOf<ManualKey>();
  ASSERT_TRUE(meta.declaration_status().ok()) << meta.declaration_status();
  EXPECT_FALSE(ColumnOf(meta, "id").autoincrement);
  EXPECT_FALSE(ColumnOf(meta, "id").server_generated);
}

TEST(SchemaColumnTest, ColTurnsMembersIntoQualifiedColumns) {
  EXPECT_EQ(duo::col(&Item::title).node().kind, duo::sql::ExprKind::kColumn);
  EXPECT_EQ(duo::col(&Item::title).node().name, "title");
  EXPECT_EQ(duo::col(&Item::title).node().qualifier, "items");
}

// --- Relationships --------------------------------------------------------

struct Author;
struct Book;
struct Profile;
struct Tag;
struct BookTag;

struct Author {
  int64_t id = 0;
  std::string name;
  std::vector<Book> books;
  duo::One<Profile> profile;
  static duo::Schema<Author> Table();
};

struct Profile {
  int64_t id = 0;
  int64_t owner_id = 0;
  std::string bio;
  static duo::Schema<Profile> Table() {
    return duo::Schema<Profile>("profiles", TestModels())
        .Column(&Profile::id, "id", duo::PrimaryKey())
        .Column(&Profile::owner_id, "owner_id", duo::ForeignKey("authors.id"));
  }
};

struct Tag {
  int64_t id = 0;
  std::string label;
  static duo::Schema<Tag> Table() {
    return duo::Schema<Tag>("tags", TestModels())
        .Column(&Tag::id, "id", duo::PrimaryKey())
        .Column(&Tag::label, "label");
  }
};

struct BookTag {
  int64_t book_ref = 0;
  int64_t tag_ref = 0;
  static duo::Schema<BookTag> Table() {
    return duo::Schema<BookTag>("book_tags", TestModels())
        .Column(&BookTag::book_ref, "book_ref", duo::PrimaryKey())
        .Column(&BookTag::tag_ref, "tag_ref", duo::PrimaryKey());
  }
};

struct Book {
  int64_t id = 0;
  int64_t author_id = 0;
  std::string title;
  duo::One<Author> author;
  std::vector<Tag> tags;
  static duo::Schema<Book> Table() {
    return duo::Schema<Book>("books", TestModels())
        .Column(&Book::id, "book_id", duo::PrimaryKey())
        .Column(&Book::author_id, "written_by", duo::ForeignKey("authors.id"))
        .Column(&Book::title, "title")
        .BelongsTo("author", &Book::author, &Book::author_id)
        .ManyToMany("tags", &Book::tags, &BookTag::book_ref, &BookTag::tag_ref);
  }
};

duo::Schema<Author> Author::Table() {
  return duo::Schema<Author>("authors", TestModels())
      .Column(&Author::id, "id", duo::PrimaryKey())
      .Column(&Author::name, "name")
      .HasMany("books", &Author::books, &Book::author_id)
      .HasOne("profile", &Author::profile, &Profile::owner_id);
}

TEST(SchemaRelationTest, RelationNames) {
  EXPECT_EQ(duo::MetaOf<Author>().RelationNames(), "books, profile");
  EXPECT_EQ(duo::MetaOf<Book>().RelationNames(), "author, tags");
  EXPECT_EQ(duo::MetaOf<Tag>().RelationNames(), "(none)");
  EXPECT_EQ(duo::MetaOf<Author>().FindRelation("nope"), nullptr);
}

TEST(SchemaRelationTest, BelongsToResolvesBothColumns) {
  const duo::ModelMeta& meta = duo::MetaOf<Book>();
  ASSERT_TRUE(meta.relations_status().ok()) << meta.relations_status();
  const duo::RelationMeta* author = meta.FindRelation("author");
  ASSERT_NE(author, nullptr);
  EXPECT_EQ(author->kind, duo::RelationKind::kBelongsTo);
  EXPECT_EQ(author->local_column, "written_by");
  EXPECT_EQ(author->remote_column, "id");
  EXPECT_EQ(&author->target(), &duo::MetaOf<Author>());
  EXPECT_FALSE(author->to_many());
}

TEST(SchemaRelationTest, HasManyResolvesTheTargetsForeignKey) {
  const duo::ModelMeta& meta = duo::MetaOf<Author>();
  ASSERT_TRUE(meta.relations_status().ok()) << meta.relations_status();
  const duo::RelationMeta* books = meta.FindRelation("books");
  ASSERT_NE(books, nullptr);
  EXPECT_EQ(books->kind, duo::RelationKind::kHasMany);
  EXPECT_EQ(books->local_column, "id");
  EXPECT_EQ(books->remote_column, "written_by");
  EXPECT_TRUE(books->to_many());
}

TEST(SchemaRelationTest, HasOneResolvesTheTargetsForeignKey) {
  const duo::RelationMeta* profile = duo::MetaOf<Author>().FindRelation("profile");
  ASSERT_NE(profile, nullptr);
  EXPECT_EQ(profile->kind, duo::RelationKind::kHasOne);
  EXPECT_EQ(profile->local_column, "id");
  EXPECT_EQ(profile->remote_column, "owner_id");
  EXPECT_EQ(&profile->target(), &duo::MetaOf<Profile>());
  EXPECT_FALSE(profile->to_many());
}

TEST(SchemaRelationTest, ManyToManyResolvesTheAssociationTable) {
  const duo::RelationMeta* tags = duo::MetaOf<Book>().FindRelation("tags");
  ASSERT_NE(tags, nullptr);
  EXPECT_EQ(tags->kind, duo::RelationKind::kManyToMany);
  EXPECT_EQ(tags->through_table, "book_tags");
  EXPECT_EQ(tags->through_local, "book_ref");
  EXPECT_EQ(tags->through_remote, "tag_ref");
  EXPECT_EQ(tags->local_column, "book_id");
  EXPECT_EQ(tags->remote_column, "id");
  EXPECT_TRUE(tags->to_many());
}

TEST(SchemaRelationTest, RelationAccessorsReachTheMembers) {
  Author author;
  const duo::RelationMeta* books = duo::MetaOf<Author>().FindRelation("books");
  const duo::RelationMeta* profile = duo::MetaOf<Author>().FindRelation("profile");
  ASSERT_NE(books, nullptr);
  ASSERT_NE(profile, nullptr);
  EXPECT_EQ(books->accessor->Count(&author), 0u);
  Book book;
  book.title = "Dune";
  books->accessor->Add(&author, &book);
  ASSERT_EQ(author.books.size(), 1u);
  EXPECT_EQ(author.books[0].title, "Dune");
  EXPECT_EQ(static_cast<Book*>(books->accessor->At(&author, 0))->title, "Dune");
  EXPECT_EQ(profile->accessor->Count(&author), 0u);
  Profile bio;
  bio.bio = "b";
  profile->accessor->Add(&author, &bio);
  ASSERT_TRUE(author.profile.has_value());
  EXPECT_EQ(author.profile->bio, "b");
  profile->accessor->Clear(&author);
  EXPECT_FALSE(author.profile.has_value());
}

struct Orphan;
struct Parent {
  int64_t id = 0;
  std::vector<Orphan> orphans;
  static duo::Schema<Parent> Table();
};
struct Orphan {
  int64_t id = 0;
  int64_t parent_id = 0;  // not declared with Column
  static duo::Schema<Orphan> Table() {
    return duo::Schema<Orphan>("orphans", TestModels())
        .Column(&Orphan::id, "id", duo::PrimaryKey());
  }
};
duo::Schema<Parent> Parent::Table() {
  return duo::Schema<Parent>("parents", TestModels())
      .Column(&Parent::id, "id", duo::PrimaryKey())
      .HasMany("orphans", &Parent::orphans, &Orphan::parent_id);
}

TEST(SchemaRelationTest, HasManyWithUndeclaredKeyIsReportedWhenResolved) {
  const duo::ModelMeta& meta = duo::MetaOf<Parent>();
  // The declaration itself is fine: the target may not exist yet then.
  EXPECT_TRUE(meta.declaration_status().ok()) << meta.declaration_status();
  const absl::Status status = meta.relations_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(),
            "model schema_test::Parent, relationship \"orphans\": its foreign key member is not "
            "a declared column of schema_test::Orphan");
}

struct CompositeParent;
struct CompositeChild {
  int64_t id = 0;
  int32_t parent_left = 0;
  duo::One<Pair> parent;
  static duo::Schema<CompositeChild> Table() {
    return duo::Schema<CompositeChild>("composite_children", TestModels())
        .Column(&CompositeChild::id, "id", duo::PrimaryKey())
        .Column(&CompositeChild::parent_left, "parent_left")
        .BelongsTo("parent", &CompositeChild::parent, &CompositeChild::parent_left);
  }
};

TEST(SchemaRelationTest, CompositeKeyTargetIsReported) {
  const absl::Status status = duo::MetaOf<CompositeChild>().relations_status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("relationship \"parent\""));
  EXPECT_THAT(status.message(),
              HasSubstr("schema_test::Pair has a composite primary key; relationships need a "
                        "single-column key"));
}

}  // namespace schema_test
