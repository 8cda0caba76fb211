// Helpers shared by the store test suites: a temporary directory that cleans
// up after itself, record builders and field-by-field comparisons.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "tailor/store/store.h"

namespace tailor::store::testing_util {

// A fresh directory under testing::TempDir(), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "tailor_store_XXXXXX").string();
    char* made = mkdtemp(pattern.data());
    if (made == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = made;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return (std::filesystem::path(path_) / name).string(); }

 private:
  std::string path_;
};

inline Event make_event(std::string user_id, std::string item_id, std::string type, Timestamp ts, double value = 1.0) {
  Event event;
  event.user_id = std::move(user_id);
  event.item_id = std::move(item_id);
  event.type = std::move(type);
  event.timestamp = ts;
  event.value = value;
  return event;
}

inline void expect_user_eq(const User& expected, const User& actual) {
  EXPECT_EQ(expected.id, actual.id);
  EXPECT_EQ(expected.attributes, actual.attributes) << actual.attributes.dump();
  EXPECT_EQ(expected.labels, actual.labels);
  EXPECT_EQ(expected.comment, actual.comment);
  EXPECT_EQ(expected.created_at, actual.created_at);
  EXPECT_EQ(expected.updated_at, actual.updated_at);
}

inline void expect_item_eq(const Item& expected, const Item& actual) {
  EXPECT_EQ(expected.id, actual.id);
  EXPECT_EQ(expected.title, actual.title);
  EXPECT_EQ(expected.description, actual.description);
  EXPECT_EQ(expected.categories, actual.categories);
  EXPECT_EQ(expected.tags, actual.tags);
  EXPECT_EQ(expected.price, actual.price);
  EXPECT_EQ(expected.attributes, actual.attributes) << actual.attributes.dump();
  EXPECT_EQ(expected.hidden, actual.hidden);
  EXPECT_EQ(expected.available, actual.available);
  EXPECT_EQ(expected.created_at, actual.created_at);
  EXPECT_EQ(expected.updated_at, actual.updated_at);
}

inline void expect_event_eq(const Event& expected, const Event& actual) {
  EXPECT_EQ(expected.user_id, actual.user_id);
  EXPECT_EQ(expected.item_id, actual.item_id);
  EXPECT_EQ(expected.type, actual.type);
  EXPECT_EQ(expected.value, actual.value);
  EXPECT_EQ(expected.timestamp, actual.timestamp);
  EXPECT_EQ(expected.channel, actual.channel);
  EXPECT_EQ(expected.context, actual.context) << actual.context.dump();
}

// Runs fn and returns the code of the tailor::Error it throws; fails the test
// when it throws nothing or something else.
template <class Fn>
ErrorCode error_code_of(Fn&& fn, std::string* message = nullptr) {
  try {
    fn();
  } catch (const Error& error) {
    if (message != nullptr) *message = error.what();
    return error.code();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "threw a non-tailor exception: " << error.what();
    return ErrorCode::kInternal;
  }
  ADD_FAILURE() << "expected a tailor::Error, nothing was thrown";
  return ErrorCode::kInternal;
}

}  // namespace tailor::store::testing_util
