// The IR on its own: structure, sharing, shape identity, debug printing.
// SQL text is tested per dialect in //duo/dialect.

#include "duo/sql/expr.h"

#include <optional>
#include <string>

#include "duo/sql/dml.h"
#include "duo/sql/functions.h"
#include "duo/sql/select.h"
#include "duo/sql/shape.h"
#include "duo/sql/text.h"
#include "gtest/gtest.h"

namespace duo::sql {
namespace {

const Table kOrders("orders");

TEST(ExprTest, LiteralsBecomeParameters) {
  const Expr e = kOrders.Col<int64_t>("id") == 7;
  ASSERT_EQ(e.node().kind, ExprKind::kBinary);
  EXPECT_EQ(e.node().args[1].node().kind, ExprKind::kParam);
  EXPECT_EQ(e.node().args[1].node().value, Value(7));
  EXPECT_EQ(e.DebugString(), "(= orders.id $7)");
}

TEST(ExprTest, ComparisonWithNullBecomesIsNull) {
  const auto note = kOrders.Col<std::optional<std::string>>("note");
  EXPECT_EQ((note == std::nullopt).DebugString(), "(null? orders.note)");
  EXPECT_EQ((note != std::optional<std::string>()).DebugString(), "(not-null? orders.note)");
  EXPECT_EQ((note == std::optional<std::string>("x")).DebugString(), "(= orders.note $'x')");
}

TEST(ExprTest, JunctionsFlattenAndSkipEmptyTerms) {
  const Expr a = kOrders.C("a") == 1;
  const Expr b = kOrders.C("b") == 2;
  const Expr c = kOrders.C("c") == 3;
  EXPECT_EQ(And({a, Expr(), And({b, c})}).DebugString(),
            "(and (= orders.a $1) (= orders.b $2) (= orders.c $3))");
  EXPECT_TRUE(And({}).empty());
  EXPECT_EQ(And({a}).node_ptr(), a.node_ptr());
  EXPECT_EQ((a || (b && c)).DebugString(),
            "(or (= orders.a $1) (and (= orders.b $2) (= orders.c $3)))");
}

TEST(ExprTest, EscapeLikeProtectsWildcards) {
  EXPECT_EQ(EscapeLike("50%_off\\"), "50\\%\\_off\\\\");
  EXPECT_EQ(EscapeLike("plain"), "plain");
}

TEST(ExprTest, SameAsComparesShapeAndValues) {
  const auto id = kOrders.Col<int64_t>("id");
  EXPECT_TRUE((id == 1).SameAs(id == 1));
  EXPECT_FALSE((id == 1).SameAs(id == 2));
  EXPECT_FALSE((id == 1).SameAs(id > 1));
}

TEST(ShapeTest, ValuesDoNotChangeTheShape) {
  const auto query = [](int64_t min, const std::string& status) {
    return Select({kOrders.C("id")})
        .From(kOrders)
        .Where(kOrders.Col<int64_t>("total") > min)
        .Where(kOrders.Col<std::string>("status") == status)
        .Limit(min);
  };
  const Statement a = query(10, "open");
  const Statement b = query(99, "closed");
  EXPECT_EQ(ShapeHash(a), ShapeHash(b));
  EXPECT_TRUE(SameShape(a, b));

  const Statement other = Select({kOrders.C("id")}).From(kOrders).Where(kOrders.C("total") < 10);
  EXPECT_FALSE(SameShape(a, other));
  // NULL is part of the shape: it renders IS NULL rather than a parameter.
  const Statement with_null = Select().From(kOrders).Where(kOrders.C("note") == std::nullopt);
  const Statement with_value = Select().From(kOrders).Where(kOrders.C("note") == "x");
  EXPECT_FALSE(SameShape(with_null, with_value));
}

TEST(ShapeTest, ParametersAreVisitedInCanonicalOrder) {
  const Statement statement = Select({Param(1)})
                                  .From(kOrders)
                                  .Where(kOrders.C("a") == 2)
                                  .OrderBy(kOrders.C("b"))
                                  .Limit(3)
                                  .Offset(4);
  std::vector<Value> values;
  ForEachParam(statement, [&](const ExprNode& param) { values.push_back(param.value); });
  EXPECT_EQ(values, (std::vector<Value>{1, 2, 3, 4}));
}

TEST(SelectTest, DerivingLeavesTheOriginalUnchanged) {
  const Select base = Select({kOrders.C("id")}).From(kOrders);
  const Select filtered = base.Where(kOrders.C("status") == "open").Limit(5);
  EXPECT_TRUE(base.data().where.empty());
  EXPECT_TRUE(base.data().limit.empty());
  EXPECT_EQ(filtered.data().where.size(), 1u);
  // Unchanged parts are shared, not copied.
  EXPECT_EQ(filtered.data().columns[0].node_ptr(), base.data().columns[0].node_ptr());
  EXPECT_FALSE(SameShape(Statement(base), Statement(filtered)));
}

TEST(SelectTest, TemporariesAreExtendedInPlace) {
  Select chained = Select({kOrders.C("id")}).From(kOrders);
  const SelectData* storage = chained.data_ptr().get();
  chained = std::move(chained).Where(kOrders.C("id") > 1);
  EXPECT_EQ(chained.data_ptr().get(), storage);
  const Select kept = chained;
  const Select derived = chained.Limit(1);  // shared: must copy
  EXPECT_NE(derived.data_ptr().get(), storage);
  EXPECT_TRUE(kept.data().limit.empty());
}

TEST(SelectTest, AJoinWithoutFromKeepsItsCondition) {
  const Select select = Select().Join(kOrders, kOrders.C("id") == 1);
  ASSERT_EQ(select.data().from.size(), 1u);
  EXPECT_EQ(select.data().where.size(), 1u);
}

TEST(SelectTest, SetOperationsGroupLeftToRight) {
  const Select a = Select({kOrders.C("id")}).From(kOrders);
  const Select unions = a.Union(a).Union(a);
  EXPECT_EQ(unions.data().set_members.size(), 3u);
  const Select mixed = a.Union(a).Except(a);
  ASSERT_EQ(mixed.data().set_members.size(), 2u);
  EXPECT_TRUE(mixed.data().set_members[0]->is_compound());
  EXPECT_EQ(mixed.data().set_op, SetOp::kExcept);
}

TEST(TextTest, FindsNamedParametersOutsideQuotesAndCasts) {
  const Text text("SELECT ':skip', \"a:b\", x::int FROM t WHERE a = :first AND b = :second_2");
  const TextParts& parts = *text.expr().node().text;
  EXPECT_EQ(parts.names, (std::vector<std::string>{"first", "second_2"}));
  EXPECT_EQ(parts.pieces[0], "SELECT ':skip', \"a:b\", x::int FROM t WHERE a = ");
}

TEST(TextTest, BindingIsPerOccurrenceAndRecordsUnknownNames) {
  const Text text = Text("a = :v OR b = :v").Bind("v", 5).Bind("typo", 1);
  const ExprNode& node = text.expr().node();
  ASSERT_EQ(node.args.size(), 2u);
  EXPECT_EQ(node.args[0].node().value, Value(5));
  EXPECT_EQ(node.args[1].node().value, Value(5));
  EXPECT_EQ(node.text->unknown_bindings, (std::vector<std::string>{"typo"}));
}

TEST(InsertTest, ValuesAlignColumnsByName) {
  const Table t("t");
  const Insert insert = Insert(t).BulkValues({{{"a", 1}, {"b", 2}}, {{"b", 3}, {"a", 4}}});
  ASSERT_EQ(insert.data().columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(insert.data().rows[1][0].node().value, Value(4));
  EXPECT_EQ(insert.data().rows[1][1].node().value, Value(3));
}

TEST(FunctionTest, AggregatesKeepTheArgumentType) {
  const auto total = kOrders.Col<double>("total");
  static_assert(std::is_base_of_v<TypedExpr<double>, decltype(func::Sum(total))>);
  static_assert(std::is_base_of_v<TypedExpr<int64_t>, decltype(func::Count())>);
  EXPECT_EQ(func::Count().Distinct().DebugString(), "(count distinct *)");
  EXPECT_EQ(func::Sum(total).Filter(total > 1).DebugString(),
            "(sum filter orders.total (> orders.total $1))");
}

}  // namespace
}  // namespace duo::sql
