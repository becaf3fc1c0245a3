#pragma once
// The contract every durable Store keeps, as a value-parameterized suite
// (store_contract_test.cpp): each test binary of a store instantiates
// StoreContractTest with a StoreKind that makes its store, e.g.
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContractTest,
//                            ::testing::Values(SqliteStoreKind()), StoreKindName);

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "broker/store/store.h"
#include "tests/unit/broker/store_test_jobs.h"

namespace jobq::broker::store {

// One store for one test: a file, a database of its own.
class StoreUnderTest {
 public:
  virtual ~StoreUnderTest() = default;
  // The store, opened (again): null, and the test failed, when it cannot be.
  virtual std::unique_ptr<Store> Open() = 0;
  // Another program makes every delete of a job fail (refuse = true) or
  // lets them through again, so that a commit can be made to fail.
  virtual void RefuseJobDeletes(bool refuse) = 0;
};

struct StoreKind {
  std::string name;
  std::function<std::unique_ptr<StoreUnderTest>()> make;
};

// For GoogleTest's messages and ctest's test names: the store's name.
inline void PrintTo(const StoreKind& kind, std::ostream* out) { *out << kind.name; }

inline std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info) {
  return info.param.name;
}

class StoreContractTest : public ::testing::TestWithParam<StoreKind>, protected TestJobs {
 protected:
  void SetUp() override { under_test_ = GetParam().make(); }

  std::unique_ptr<Store> Open() { return under_test_ ? under_test_->Open() : nullptr; }

  std::unique_ptr<StoreUnderTest> under_test_;
};

}  // namespace jobq::broker::store
