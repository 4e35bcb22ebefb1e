#include "worker/common/result.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

Result<int> Half(int n) {
  if (n % 2 != 0) return Error::InvalidConfig("n", std::to_string(n) + " is odd");
  return n / 2;
}

Result<int> Quarter(int n) {
  auto half = Half(n);
  if (!half.ok()) return half.error();
  return Half(*half);
}

Result<> CheckEven(int n) {
  FERRY_RETURN_IF_ERROR(Half(n));
  return Ok();
}

TEST(ResultTest, ValueAndErrorAreDistinct) {
  EXPECT_EQ(*Quarter(8), 2);
  auto odd = Quarter(6);
  ASSERT_FALSE(odd.ok());
  EXPECT_EQ(odd.error().code(), ErrorCode::kInvalidConfig);
  EXPECT_EQ(odd.error().ToString(), "InvalidConfig: invalid value for 'n': 3 is odd");
}

TEST(ResultTest, ReturnIfErrorPropagates) {
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_FALSE(CheckEven(5).ok());
}

TEST(ResultTest, KafkaErrorsKeepCodeAndRetriability) {
  Error transport = Error::Kafka("fetch", RD_KAFKA_RESP_ERR__TRANSPORT);
  EXPECT_TRUE(transport.retriable());
  EXPECT_EQ(transport.kafka_err(), RD_KAFKA_RESP_ERR__TRANSPORT);
  Error auth = Error::Kafka("fetch", RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
  EXPECT_FALSE(auth.retriable());
  EXPECT_NE(auth.message().find("fetch: "), std::string::npos);
}

TEST(ResultDeathTest, ValueOfAnErrorIsABug) {
  EXPECT_DEATH((void)*Half(3), "value\\(\\) on an error");
}

}  // namespace
}  // namespace ferry
