// The fixture base of the re-encryption tests: the binary's shared PostgreSQL cluster, a
// connection of the test's own, and a table name of its own ("<prefix><test name>").
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <pqxx/connection>
#include <string>

#include "locksmith/testing/matchers.h"
#include "reencrypt/reencrypt_test_util.h"
#include "support/postgres_cluster.h"

namespace locksmith::reencrypt_test {

class SharedClusterTest : public ::testing::Test {
 protected:
  explicit SharedClusterTest(std::string table_prefix) : table_prefix_(std::move(table_prefix)) {}

  // Derived fixtures call this first and return if HasFatalFailure().
  void SetUp() override {
    auto cluster = testing::PostgresCluster::Shared();
    ASSERT_THAT(cluster, testing::IsOk());
    cluster_ = *cluster;
    db_ = std::make_unique<pqxx::connection>(cluster_->Dsn());
    table_ = PerTestTableName(table_prefix_,
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  testing::PostgresCluster* cluster_ = nullptr;
  std::unique_ptr<pqxx::connection> db_;
  std::string table_;

 private:
  std::string table_prefix_;
};

}  // namespace locksmith::reencrypt_test
