// The versioned model file: Recommender::save* and load_model*. The layout is
// documented in model.h; this file is the only writer and reader of it.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tailor/model/model.h"

namespace tailor::model {
namespace {

constexpr char kMagic[4] = {'T', 'L', 'R', 'M'};
constexpr char kEndMarker[4] = {'T', 'L', 'R', 'E'};
constexpr std::uint32_t kFlagHidden = 1;
constexpr std::uint32_t kFlagAvailable = 2;

[[noreturn]] void corrupt(const std::string& what) { throw_error(ErrorCode::kCorruption, "model file: " + what); }

void write_ids(std::ostream& out, const dataset::IdMap& ids) {
  io::write_u32(out, ids.size());
  for (const std::string& id : ids.ids()) io::write_string(out, id);
}

dataset::IdMap read_ids(std::istream& in, const char* what) {
  dataset::IdMap ids;
  const std::uint32_t count = io::read_u32(in);
  for (std::uint32_t idx = 0; idx < count; ++idx) {
    std::string id = io::read_string(in);
    if (ids.add(id) != idx) corrupt(std::string("duplicate ") + what + " id '" + id + "'");
  }
  return ids;
}

void read_marker(std::istream& in, const char (&expected)[4], const char* what) {
  char got[4] = {};
  in.read(got, 4);
  if (in.gcount() != 4) corrupt(std::string("truncated before the ") + what);
  if (std::memcmp(got, expected, 4) != 0) corrupt(std::string("bad ") + what);
}

}  // namespace

void Recommender::save(std::ostream& out) const {
  out.write(kMagic, 4);
  io::write_u32(out, kModelFormatVersion);
  io::write_string(out, name());
  io::write_string(out, params().dump());
  write_ids(out, user_ids_);
  write_ids(out, item_ids_);
  for (std::uint32_t item_idx = 0; item_idx < item_count(); ++item_idx) {
    const dataset::ItemMeta& meta = item_meta_[item_idx];
    io::write_u32(out, static_cast<std::uint32_t>(meta.categories.size()));
    for (const std::string& category : meta.categories) io::write_string(out, category);
    io::write_u32(out, (meta.hidden ? kFlagHidden : 0) | (meta.available ? kFlagAvailable : 0));
    io::write_u64(out, static_cast<std::uint64_t>(meta.created_at));
    // Version 2: the item's text.
    io::write_string(out, meta.title);
    io::write_string(out, meta.description);
    io::write_u32(out, static_cast<std::uint32_t>(meta.tags.size()));
    for (const std::string& tag : meta.tags) io::write_string(out, tag);
  }
  io::write_csr(out, user_items_);
  save_payload(out);
  out.write(kEndMarker, 4);
  if (!out) throw_error(ErrorCode::kIO, "model: writing the model failed");
}

std::string Recommender::save_bytes() const {
  std::ostringstream out(std::ios::binary);
  save(out);
  return std::move(out).str();
}

// Writes next to the target and renames, so a reader never sees half a file.
void Recommender::save_file(const std::string& path) const {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw_error(ErrorCode::kIO, "model: cannot create '" + tmp + "': " + std::strerror(errno));
    save(out);
    out.flush();
    if (!out) throw_error(ErrorCode::kIO, "model: writing '" + tmp + "' failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    throw_error(ErrorCode::kIO, "model: cannot rename '" + tmp + "' to '" + path + "': " + std::strerror(err));
  }
}

std::unique_ptr<Recommender> load_model(std::istream& in) {
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() != 4 || std::memcmp(magic, kMagic, 4) != 0) corrupt("not a Tailor model (bad magic)");
  const std::uint32_t version = io::read_u32(in);
  if (version == 0 || version > kModelFormatVersion)
    corrupt("unsupported format version " + std::to_string(version) + " (this build reads 1.." +
            std::to_string(kModelFormatVersion) + ")");
  const std::string name = io::read_string(in);
  const std::string params_text = io::read_string(in);
  Params params;
  try {
    params = Params::parse(params_text);
  } catch (const nlohmann::json::exception& e) {
    corrupt(std::string("parameters are not valid JSON: ") + e.what());
  }
  std::unique_ptr<Recommender> model;
  try {
    model = create_model(name, params);
  } catch (const Error& e) {
    corrupt(std::string("cannot create the stored model: ") + e.what());
  }

  model->user_ids_ = read_ids(in, "user");
  model->item_ids_ = read_ids(in, "item");
  model->item_meta_.resize(model->item_ids_.size());
  for (dataset::ItemMeta& meta : model->item_meta_) {
    const std::uint32_t categories = io::read_u32(in);
    for (std::uint32_t pos = 0; pos < categories; ++pos) meta.categories.push_back(io::read_string(in));
    const std::uint32_t flags = io::read_u32(in);
    if ((flags & ~(kFlagHidden | kFlagAvailable)) != 0) corrupt("unknown item flags");
    meta.hidden = (flags & kFlagHidden) != 0;
    meta.available = (flags & kFlagAvailable) != 0;
    meta.created_at = static_cast<Timestamp>(io::read_u64(in));
    if (version >= 2) {
      meta.title = io::read_string(in);
      meta.description = io::read_string(in);
      const std::uint32_t tags = io::read_u32(in);
      for (std::uint32_t pos = 0; pos < tags; ++pos) meta.tags.push_back(io::read_string(in));
    }
  }
  model->user_items_ = io::read_csr(in);
  if (model->user_items_.rows != model->user_count() || model->user_items_.cols != model->item_count())
    corrupt("training history does not match the id maps");
  model->load_payload(in, version);
  read_marker(in, kEndMarker, "end marker");
  return model;
}

std::unique_ptr<Recommender> load_model_bytes(const std::string& bytes) {
  std::istringstream in(bytes, std::ios::binary);
  return load_model(in);
}

std::unique_ptr<Recommender> load_model_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    throw_error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIO,
                "model: cannot open '" + path + "': " + std::strerror(err));
  }
  return load_model(in);
}

}  // namespace tailor::model
