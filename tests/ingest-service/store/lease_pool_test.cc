#include "ingest-service/store/lease_pool.h"

#include <memory>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace newsearch::ingest {
namespace {

using ::testing::HasSubstr;

// A pool of ints numbered in opening order.
struct Counting {
  int opened = 0;
  LeasePool<int>::Opener Opener() {
    return [this]() -> absl::StatusOr<std::unique_ptr<int>> {
      return std::make_unique<int>(++opened);
    };
  }
};

TEST(LeasePoolTest, OpensUpToTheMaximumAndReusesReturnedResources) {
  Counting counting;
  LeasePool<int> pool(2, absl::Seconds(5), "test resources", counting.Opener());
  {
    auto a = pool.Acquire();
    auto b = pool.Acquire();
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(**a.value() + **b.value(), 3);
  }
  auto c = pool.Acquire();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(counting.opened, 2) << "a returned resource is lent again, not reopened";
}

TEST(LeasePoolTest, WaiterGetsTheResourceWhenItComesBack) {
  Counting counting;
  LeasePool<int> pool(1, absl::Seconds(30), "test resources", counting.Opener());
  auto held = std::make_unique<absl::StatusOr<std::unique_ptr<LeasePool<int>::Lease>>>(
      pool.Acquire());
  ASSERT_TRUE(held->ok());
  std::thread returner([&] {
    absl::SleepFor(absl::Milliseconds(50));
    held.reset();
  });
  auto waited = pool.Acquire();
  returner.join();
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(**waited.value(), 1);
}

TEST(LeasePoolTest, WaitingBeyondMaxWaitIsResourceExhaustedSayingWhy) {
  // #9: readers waited for a connection without any limit.
  Counting counting;
  LeasePool<int> pool(2, absl::Milliseconds(100), "test resources", counting.Opener());
  auto a = pool.Acquire();
  auto b = pool.Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  const absl::Time start = absl::Now();
  auto c = pool.Acquire();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
  ASSERT_EQ(c.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(c.status().message(), HasSubstr("all 2 test resources stayed busy for 100ms"));
}

TEST(LeasePoolTest, FailedOpenFreesItsSlot) {
  int attempts = 0;
  LeasePool<int> pool(1, absl::Milliseconds(100), "test resources",
                      [&]() -> absl::StatusOr<std::unique_ptr<int>> {
                        if (++attempts == 1) return absl::UnavailableError("disk gone");
                        return std::make_unique<int>(attempts);
                      });
  EXPECT_EQ(pool.Acquire().status().code(), absl::StatusCode::kUnavailable);
  auto second = pool.Acquire();
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(**second.value(), 2);
}

}  // namespace
}  // namespace newsearch::ingest
