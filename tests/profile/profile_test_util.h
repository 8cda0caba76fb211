// Helpers shared by the profile tests: a temporary SQLite store that cleans up
// after itself, and an import of the demo data (data/demo) into it, the way
// `tailor import --format tailor` reads the native folder layout.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "tailor/data/import.h"
#include "tailor/store/store.h"

namespace tailor::profile::testing_util {

// A fresh SQLite store in a directory under testing::TempDir(), removed afterwards.
class TempStore {
 public:
  TempStore() {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "tailor_profile_XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    if (made == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    dir_ = made;
    store::StoreOptions options;
    options.fsync = false;  // test data: durability is not under test here
    store_ = store::open_store((std::filesystem::path(dir_) / "profile.db").string(), options);
  }
  ~TempStore() {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TempStore(const TempStore&) = delete;
  TempStore& operator=(const TempStore&) = delete;

  store::Store& store() { return *store_; }

 private:
  std::string dir_;
  std::unique_ptr<store::Store> store_;
};

inline std::string demo_dir() { return std::string(TAILOR_SOURCE_DIR) + "/data/demo"; }

// Imports users.jsonl, items.jsonl and events.csv.gz of data/demo in one transaction.
inline void import_demo(store::Store& store) {
  auto writer = store.begin_write();
  data::ImportPolicy policy;
  for (const auto& [file, entity, format] :
       {std::tuple{"users.jsonl", "users", data::FileFormat::kJsonl},
        std::tuple{"items.jsonl", "items", data::FileFormat::kJsonl},
        std::tuple{"events.csv.gz", "events", data::FileFormat::kCsv}}) {
    data::ColumnMapping mapping;
    mapping.entity = entity;
    auto report = data::import_file(demo_dir() + "/" + file, format, mapping, policy, *writer, true);
    if (report.rejected() != 0) throw std::runtime_error(std::string("demo import rejected rows of ") + file);
  }
  writer->commit();
}

}  // namespace tailor::profile::testing_util
