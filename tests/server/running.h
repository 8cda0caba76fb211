// Test fixture shared by the server tests: a temp SQLite store with a small
// dataset and an in-process Server on port 0, driven through real HTTP.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tailor/server/server.h"
#include "tailor/store/store.h"

namespace tailor::server::test_support {

namespace fs = std::filesystem;
using nlohmann::json;

// 30 users, 20 items in 3 categories; user u interacts with items u, u+1, u+2, u+5 (mod 20).
inline std::string make_store(const std::string& name) {
  const fs::path path = fs::temp_directory_path() / ("tailor_server_test_" + name + "_" +
                                                     std::to_string(::getpid()) + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
  auto store = store::open_store(path.string());
  auto writer = store->begin_write();
  for (int item_idx = 0; item_idx < 20; ++item_idx) {
    data::Item item;
    item.id = "i" + std::to_string(item_idx);
    item.title = "item " + std::to_string(item_idx);
    item.categories = {"c" + std::to_string(item_idx % 3)};
    writer->put_item(item);
  }
  for (int user_idx = 0; user_idx < 30; ++user_idx)
    for (int offset : {0, 1, 2, 5}) {
      data::Event ev;
      ev.user_id = "u" + std::to_string(user_idx);
      ev.item_id = "i" + std::to_string((user_idx + offset) % 20);
      ev.type = "click";
      ev.timestamp = 1700000000 + user_idx * 10 + offset;
      writer->put_event(ev);
    }
  writer->commit();
  return path.string();
}

// A Server running on its own thread; stopped and joined on destruction.
class Running {
 public:
  explicit Running(const std::string& name, std::vector<std::string> keys = {},
                   const std::function<void(ServerOptions&)>& tweak = {}) {
    path_ = make_store(name);
    ServerOptions options;
    options.port = 0;
    options.api_keys = std::move(keys);
    options.max_body_bytes = 1 << 20;
    if (tweak) tweak(options);
    server_ = std::make_unique<Server>(store::open_store(path_), options);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
    server_->wait_for_training();  // the store has no model yet: the first one trains at start
  }
  ~Running() {
    stop();
    server_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path_ + suffix);
  }
  void stop() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Client client() const {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(30, 0);
    cli.set_tcp_nodelay(true);
    return cli;
  }
  Server& server() { return *server_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::unique_ptr<Server> server_;
  int port_ = 0;
  std::thread thread_;
};

inline json body_of(const httplib::Result& res) {
  EXPECT_TRUE(res) << "no response";
  if (!res) return json();
  return json::parse(res->body);
}

}  // namespace tailor::server::test_support
