// Helpers for the data tests: a temporary folder, file writers (plain and
// gzip), and sinks that keep or count what an import hands over.
#pragma once

#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tailor/data/import.h"

namespace tailor::data::testing {

// A fresh folder under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("tailor_data_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream out(file(name), std::ios::binary);
    out << bytes;
    return file(name);
  }
  std::string write_gz(const std::string& name, const std::string& bytes) const {
    gzFile gz = gzopen(file(name).c_str(), "wb");
    EXPECT_NE(gz, nullptr);
    EXPECT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(gz);
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

// Keeps every record, in the order the importer hands them over.
class VectorSink : public ImportSink {
 public:
  void put_user(const User& user) override {
    users.push_back(user);
    order.push_back('u');
  }
  void put_item(const Item& item) override {
    items.push_back(item);
    order.push_back('i');
  }
  bool put_event(const Event& event) override {
    events.push_back(event);
    order.push_back('e');
    return true;
  }
  std::vector<User> users;
  std::vector<Item> items;
  std::vector<Event> events;
  std::string order;  // 'u', 'i', 'e' per call
};

// Counts records and distinct ids without keeping them.
class CountingSink : public ImportSink {
 public:
  void put_user(const User& user) override { user_ids.insert(user.id); ++user_puts; }
  void put_item(const Item& item) override { item_ids.insert(item.id); ++item_puts; }
  bool put_event(const Event& event) override {
    ++events;
    ++events_by_type[event.type];
    if (count_ids) {
      event_user_ids.insert(event.user_id);
      event_item_ids.insert(event.item_id);
    }
    return true;
  }
  bool count_ids = true;
  std::set<std::string> user_ids, item_ids, event_user_ids, event_item_ids;
  std::uint64_t user_puts = 0, item_puts = 0, events = 0;
  std::map<std::string, std::uint64_t> events_by_type;
};

}  // namespace tailor::data::testing
