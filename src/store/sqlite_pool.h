// A pool of SQLite connections of one kind (readers or writers), private to
// the store component. A connection is used by one thread at a time: acquire
// hands one out (an idle one, else a newly opened one, so acquire never waits
// on another thread), release takes it back. Pools are shared_ptr-owned so a
// writer that outlives its Store can still hand its connection back.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace tailor::store {

template <class Connection>
class ConnectionPool {
 public:
  using Opener = std::function<std::unique_ptr<Connection>()>;

  // Keeps at most max_idle connections open while nobody uses them.
  ConnectionPool(Opener open, std::size_t max_idle) : open_(std::move(open)), max_idle_(max_idle) {}

  // Thread-safe. Throws what opening a connection throws.
  std::unique_ptr<Connection> acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<Connection> connection = std::move(idle_.back());
        idle_.pop_back();
        return connection;
      }
    }
    return open_();  // outside the lock: opening reads the schema from disk
  }

  // Thread-safe. Closes the connection when the pool is full.
  void release(std::unique_ptr<Connection> connection) noexcept {
    std::unique_lock lock(mutex_);
    if (idle_.size() < max_idle_) idle_.push_back(std::move(connection));
    lock.unlock();
  }

  // Puts an already open connection into the pool (the one opened to migrate).
  void adopt(std::unique_ptr<Connection> connection) noexcept { release(std::move(connection)); }

 private:
  Opener open_;
  std::size_t max_idle_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

// Borrows a connection for one scope and gives it back on the way out.
template <class Connection>
class PooledConnection {
 public:
  explicit PooledConnection(ConnectionPool<Connection>& pool) : pool_(pool), connection_(pool.acquire()) {}
  ~PooledConnection() { pool_.release(std::move(connection_)); }
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;

  Connection& operator*() const { return *connection_; }
  Connection* operator->() const { return connection_.get(); }

 private:
  ConnectionPool<Connection>& pool_;
  std::unique_ptr<Connection> connection_;
};

}  // namespace tailor::store
