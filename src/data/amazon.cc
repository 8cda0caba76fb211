// Amazon Review Data (2018) adapter.
//
// Reviews, <Category>_5.json.gz, one JSON object per line:
//   reviewerID -> user, asin -> item, overall -> rating value,
//   unixReviewTime -> timestamp, reviewText / summary -> context.review / .summary
// Metadata, meta_<Category>.json.gz next to it (optional):
//   asin -> item, title, description (array of paragraphs, joined),
//   category (array; the files repeat entries, kept once), brand and main_cat
//   -> attributes, price ("$12.99"; ranges such as "$10.00 - $50.00" and HTML
//   fragments count as missing).
// The 5-core files contain exact duplicate reviews; the session counts them
// as duplicates. Metadata is read first so items reach the sink before events.
#include <filesystem>

#include "import_driver.h"

namespace tailor::data {

namespace {

namespace fs = std::filesystem;

bool has_suffix(const std::string& name, std::string_view suffix) {
  return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "Gift_Cards_5.json.gz" -> "Gift_Cards"; "" when the name is not a 5-core reviews file.
std::string category_of(const std::string& file_name) {
  for (std::string_view suffix : {"_5.json.gz", "_5.json"})
    if (has_suffix(file_name, suffix) && file_name.size() > suffix.size())
      return file_name.substr(0, file_name.size() - suffix.size());
  return "";
}

struct AmazonFiles {
  std::string reviews;
  std::string meta;  // empty when there is none
};

AmazonFiles find_files(const std::string& path) {
  AmazonFiles files;
  std::error_code ec;
  fs::path dir;
  if (fs::is_directory(path, ec)) {
    dir = path;
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.is_regular_file() && !category_of(entry.path().filename().string()).empty())
        found.push_back(entry.path().string());
    if (found.empty()) throw_error(ErrorCode::kNotFound, path + ": no *_5.json.gz reviews file in this folder");
    TAILOR_CHECK_ARG(found.size() == 1, path + ": several *_5.json.gz reviews files; pass the one to import");
    files.reviews = found.front();
  } else {
    if (!fs::exists(path, ec)) throw_error(ErrorCode::kNotFound, path + ": no such file or folder");
    files.reviews = path;
    dir = fs::path(path).parent_path();
  }
  std::string category = category_of(fs::path(files.reviews).filename().string());
  if (category.empty()) return files;  // a reviews file under another name: no metadata to pair
  for (const char* extension : {".json.gz", ".json"}) {
    fs::path meta = dir / ("meta_" + category + extension);
    if (fs::is_regular_file(meta, ec)) {
      files.meta = meta.string();
      break;
    }
  }
  return files;
}

}  // namespace

ImportReport import_amazon(const std::string& path, const ImportPolicy& policy, ImportSink& sink, bool quiet) {
  const AmazonFiles files = find_files(path);
  ImportSession session(policy, sink, quiet);
  if (!files.meta.empty()) session.add_file(files.meta);
  session.add_file(files.reviews);

  if (!files.meta.empty()) {
    ColumnMapping meta;
    meta.entity = "items";
    meta.fields = {{"item", "asin"},          {"title", "title"},           {"description", "description"},
                   {"categories", "category"}, {"price", "price"},           {"attributes.brand", "brand"},
                   {"attributes.main_cat", "main_cat"}};
    meta.keep_unmapped_as_attributes = false;
    DriverOptions options;
    options.cleaner.lenient_price = true;
    import_into(session, files.meta, FileFormat::kJsonl, meta, options);
  }

  ColumnMapping reviews;
  reviews.fields = {{"user", "reviewerID"},       {"item", "asin"},
                    {"value", "overall"},         {"timestamp", "unixReviewTime"},
                    {"context.review", "reviewText"}, {"context.summary", "summary"}};
  reviews.default_type = "rating";
  reviews.keep_unmapped_as_attributes = false;
  import_into(session, files.reviews, FileFormat::kJsonl, reviews);
  return session.finish();
}

}  // namespace tailor::data
