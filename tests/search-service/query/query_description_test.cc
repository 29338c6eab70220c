#include "search-service/query/query_description.h"

#include <string>

#include <xapian.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "search-service/schema/schema.h"

namespace newsearch::search {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Cst(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return Xapian::sortable_serialise(static_cast<double>(absl::ToUnixSeconds(absl::FromCivil(
      absl::CivilSecond(y, m, d, hh, mm, ss), absl::FixedTimeZone(8 * 60 * 60)))));
}

TEST(ReadableQueryDescriptionTest, ShowsPublishedRangesAsDates) {
  const Xapian::Query range(Xapian::Query::OP_VALUE_RANGE, schema::kPublishedSlot,
                            Cst(2018, 4, 23), Cst(2018, 4, 23, 23, 59, 59));
  const Xapian::Query after(Xapian::Query::OP_VALUE_GE, schema::kPublishedSlot, Cst(2018, 3, 1));
  const Xapian::Query before(Xapian::Query::OP_VALUE_LE, schema::kPublishedSlot,
                             Cst(2017, 12, 31, 23, 59, 59));
  const Xapian::Query query(
      Xapian::Query::OP_FILTER, Xapian::Query("台风"),
      Xapian::Query(Xapian::Query::OP_AND, range,
                    Xapian::Query(Xapian::Query::OP_OR, after, before)));
  const std::string description = ReadableQueryDescription(query);
  EXPECT_EQ(description,
            "Query((台风 FILTER (VALUE_RANGE 0 2018-04-23T00:00:00+08:00 "
            "2018-04-23T23:59:59+08:00 AND (VALUE_GE 0 2018-03-01T00:00:00+08:00 OR "
            "VALUE_LE 0 2017-12-31T23:59:59+08:00))))");
  EXPECT_THAT(description, Not(HasSubstr("\\x")));
}

TEST(ReadableQueryDescriptionTest, LeavesOtherQueriesAsXapianDescribesThem) {
  const Xapian::Query other(Xapian::Query::OP_VALUE_RANGE, schema::kCollapseSlot, "a b", "x\\y");
  EXPECT_EQ(ReadableQueryDescription(other), other.get_description());
  const Xapian::Query plain(Xapian::Query::OP_AND, Xapian::Query("乌镇"), Xapian::Query("党建"));
  EXPECT_EQ(ReadableQueryDescription(plain), plain.get_description());
  // Negative and pre-1970 dates render too (sortable_serialise of a negative number).
  const Xapian::Query old(Xapian::Query::OP_VALUE_GE, schema::kPublishedSlot, Cst(1949, 10, 1));
  EXPECT_EQ(ReadableQueryDescription(old), "Query(VALUE_GE 0 1949-10-01T00:00:00+08:00)");
}

}  // namespace
}  // namespace newsearch::search
