// The fault scenarios' verdict (tests/support/fault_run.h): the key-by-key comparison must see every kind
// of damage a mirror can do, or a scenario could pass over a loss. No broker: records made in memory.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/fault_run.h"

namespace ferry::testing {
namespace {

kafka::Record At(int64_t offset, const std::string& key, const std::string& value = "v") {
  kafka::Record r;
  r.key = key;
  r.value = value;
  r.timestamp = 1700000000000;
  r.offset = offset;
  return r;
}

std::vector<kafka::Record> Source() {
  return {At(0, "p0-0"), At(1, "p0-1"), At(2, "p0-2"), At(3, "p0-3")};
}

MirrorTally Tally(const std::vector<kafka::Record>& target) {
  MirrorTally tally;
  TallyPartition(Source(), target, {"t", 0}, &tally);
  return tally;
}

TEST(MirrorTallyTest, AnExactCopyHasNothingToReport) {
  const MirrorTally t = Tally({At(10, "p0-0"), At(11, "p0-1"), At(12, "p0-2"), At(13, "p0-3")});
  EXPECT_EQ(t.lost + t.duplicated + t.out_of_order + t.altered + t.foreign, 0);
  EXPECT_EQ(t.source_records, 4);
  EXPECT_EQ(t.target_records, 4);
}

TEST(MirrorTallyTest, ACopyAgainFromAnEarlierPositionCountsDuplicatesOnly) {
  const MirrorTally t =
      Tally({At(0, "p0-0"), At(1, "p0-1"), At(2, "p0-2"), At(3, "p0-1"), At(4, "p0-2"), At(5, "p0-3")});
  EXPECT_EQ(t.duplicated, 2);
  EXPECT_EQ(t.lost + t.out_of_order + t.altered + t.foreign, 0);
}

TEST(MirrorTallyTest, MissingReorderedAlteredAndForeignRecordsAreEachCounted) {
  const MirrorTally lost = Tally({At(0, "p0-0"), At(1, "p0-2"), At(2, "p0-3")});
  EXPECT_EQ(lost.lost, 1);
  EXPECT_NE(lost.first_problem.find("source offset 1"), std::string::npos) << lost.first_problem;
  EXPECT_EQ(Tally({At(0, "p0-0"), At(1, "p0-2"), At(2, "p0-1"), At(3, "p0-3")}).out_of_order, 1);
  EXPECT_EQ(Tally({At(0, "p0-0"), At(1, "p0-1", "changed"), At(2, "p0-2"), At(3, "p0-3")}).altered, 1);
  const MirrorTally foreign = Tally({At(0, "p0-0"), At(1, "p0-1"), At(2, "p9-9"), At(3, "p0-2"), At(4, "p0-3")});
  EXPECT_EQ(foreign.foreign, 1);
  EXPECT_EQ(foreign.lost, 0);
  EXPECT_EQ(Tally({}).lost, 4);
}

}  // namespace
}  // namespace ferry::testing
