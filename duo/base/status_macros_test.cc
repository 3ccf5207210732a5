#include "duo/base/status_macros.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace duo {
namespace {

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd input");
  return n / 2;
}

absl::StatusOr<int> Quarter(int n) {
  DUO_ASSIGN_OR_RETURN(int half, Half(n));
  DUO_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

absl::Status CheckEven(int n) {
  DUO_RETURN_IF_ERROR(Half(n).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, AssignOrReturnPassesValuesThrough) {
  absl::StatusOr<int> quarter = Quarter(8);
  ASSERT_TRUE(quarter.ok());
  EXPECT_EQ(*quarter, 2);
}

TEST(StatusMacrosTest, AssignOrReturnStopsAtFirstError) {
  absl::StatusOr<int> quarter = Quarter(6);  // 6 -> 3 -> odd
  EXPECT_EQ(quarter.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(quarter.status().message(), "odd input");
}

TEST(StatusMacrosTest, AssignOrReturnMovesIntoExistingVariable) {
  auto make = []() -> absl::StatusOr<std::unique_ptr<std::string>> {
    return std::make_unique<std::string>("moved");
  };
  auto use = [&]() -> absl::StatusOr<std::string> {
    std::unique_ptr<std::string> value;
    DUO_ASSIGN_OR_RETURN(value, make());
    return *value;
  };
  EXPECT_EQ(*use(), "moved");
}

TEST(StatusMacrosTest, ReturnIfError) {
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace duo
