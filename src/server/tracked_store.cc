#include "tracked_store.h"

namespace tailor::server {
namespace {

class TrackedWriter final : public store::StoreWriter {
 public:
  TrackedWriter(std::unique_ptr<store::StoreWriter> inner, const std::function<void(const WriteSummary&)>& on_commit)
      : inner_(std::move(inner)), on_commit_(on_commit) {}

  void put_user(const store::User& user) override {
    inner_->put_user(user);
    summary_.users.insert(user.id);
  }
  void put_item(const store::Item& item) override {
    inner_->put_item(item);
    summary_.catalogue = true;
  }
  bool put_event(const store::Event& event) override {
    const bool written = inner_->put_event(event);
    if (written) {
      summary_.users.insert(event.user_id);
      ++summary_.events;
      summary_.new_events.push_back(event);
      // The event may create an empty item row; that is not a catalogue
      // change that matters: answers only name items the model knows.
    }
    return written;
  }
  bool delete_user(const std::string& user_id) override {
    const bool existed = inner_->delete_user(user_id);
    if (existed) summary_.users.insert(user_id);
    return existed;
  }
  bool delete_item(const std::string& item_id) override {
    const bool existed = inner_->delete_item(item_id);
    if (existed) summary_.catalogue = true;
    return existed;
  }
  std::size_t delete_events(const std::string& user_id, const std::string& item_id,
                            const std::string& type) override {
    const std::size_t removed = inner_->delete_events(user_id, item_id, type);
    if (removed > 0) summary_.users.insert(user_id);
    return removed;
  }
  void put_artifact(const std::string& name, const std::string& bytes) override { inner_->put_artifact(name, bytes); }
  // Records feed no recommendation cache: the components that read them
  // (campaigns, experiments, chat) keep no cached answers keyed on them.
  void put_record(const store::Record& record) override { inner_->put_record(record); }
  bool delete_record(const std::string& collection, const std::string& key) override {
    return inner_->delete_record(collection, key);
  }
  std::size_t delete_records(const store::RecordQuery& query) override { return inner_->delete_records(query); }
  void commit() override {
    inner_->commit();
    if (on_commit_ && (summary_.catalogue || !summary_.users.empty() || summary_.events > 0)) on_commit_(summary_);
    summary_ = {};
  }
  void rollback() override {
    inner_->rollback();
    summary_ = {};
  }

 private:
  std::unique_ptr<store::StoreWriter> inner_;
  const std::function<void(const WriteSummary&)>& on_commit_;  // owned by the TrackedStore, which outlives writers
  WriteSummary summary_;
};

}  // namespace

TrackedStore::TrackedStore(std::unique_ptr<store::Store> inner, std::function<void(const WriteSummary&)> on_commit)
    : inner_(std::move(inner)), on_commit_(std::move(on_commit)) {}

std::unique_ptr<store::StoreWriter> TrackedStore::begin_write() {
  return std::make_unique<TrackedWriter>(inner_->begin_write(), on_commit_);
}

}  // namespace tailor::server
