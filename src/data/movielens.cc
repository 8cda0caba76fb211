// MovieLens adapters.
//
// ml-100k (headerless, Latin-1 in the original distribution):
//   u.genre  name|index                       genre names for the flags of u.item
//   u.item   id|title|release date|video release date|IMDb URL|19 genre flags
//   u.user   id|age|gender|occupation|zip
//   u.data   user \t item \t rating \t unix seconds
// ml-latest-small (CSV with header, CRLF, UTF-8):
//   movies.csv  movieId,title,genres ('|'-separated, "(no genres listed)")
//   ratings.csv userId,movieId,rating,timestamp
//   tags.csv    userId,movieId,tag,timestamp   -> "tag" events, text in context.tag
// Items and users are read first so the session hands them to the sink before
// the events that refer to them.
#include <cstdio>
#include <filesystem>

#include "csv_reader.h"
#include "import_driver.h"
#include "text_util.h"

namespace tailor::data {

namespace {

std::string in_dir(const std::string& dir, const char* name) { return (std::filesystem::path(dir) / name).string(); }

// The original u.item is ISO-8859-1; some redistributed copies were converted
// to UTF-8. Text that is already valid UTF-8 is taken as is (a Latin-1 title
// is practically never valid UTF-8), anything else is converted.
std::string_view as_utf8(std::string_view text, std::string& scratch) {
  if (is_valid_utf8(text)) return text;
  latin1_to_utf8(text, scratch);
  return scratch;
}

// "01-Jan-1995" -> "1995-01-01"; anything else is returned normalised as is.
std::string iso_date(std::string_view text) {
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  text = trim_ascii(text);
  if (text.size() == 11 && text[2] == '-' && text[6] == '-') {
    auto day = parse_int(text.substr(0, 2));
    auto year = parse_int(text.substr(7, 4));
    for (int month = 0; month < 12; ++month) {
      if (text.substr(3, 3) != kMonths[month] || !day || !year) continue;
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(*year), month + 1, static_cast<int>(*day));
      return buf;
    }
  }
  return normalize_text(text);
}

// u.genre: genre names by flag position. A structural problem here makes
// every item wrong, so it throws rather than rejecting rows.
std::vector<std::string> read_genres(const std::string& path, Progress* progress) {
  CsvReader reader(path, '|', progress);
  std::vector<std::string_view> cells;
  std::vector<std::string> names;
  while (reader.next(cells)) {
    std::optional<std::int64_t> index = cells.size() == 2 ? parse_int(cells[1]) : std::nullopt;
    TAILOR_CHECK_ARG(index && *index >= 0 && *index < 100,
                     path + ":" + std::to_string(reader.line()) + ": expected 'name|index'");
    if (names.size() <= static_cast<std::size_t>(*index)) names.resize(static_cast<std::size_t>(*index) + 1);
    names[static_cast<std::size_t>(*index)] = normalize_text(cells[0]);
  }
  TAILOR_CHECK_ARG(!names.empty(), path + ": no genres");
  return names;
}

void read_items_100k(ImportSession& session, const std::string& path, const std::vector<std::string>& genres) {
  ColumnMapping mapping;
  mapping.entity = "items";
  RowCleaner cleaner(session, mapping, Entity::kItems, {}, {});
  CsvReader reader(path, '|', session.progress());
  session.set_file(path);
  const std::size_t width = 5 + genres.size();
  std::vector<std::string_view> cells;
  std::string title_utf8, url_utf8;
  while (reader.next(cells)) {
    ++session.report().rows_read;
    session.set_line(reader.line());
    if (cells.size() != width) {
      session.reject("", "wrong_field_count",
                     "expected " + std::to_string(width) + " fields, got " + std::to_string(cells.size()));
      continue;
    }
    FieldValue values[kItemFieldNames.size()];
    values[kItemId] = FieldValue::of_text(cells[0]);
    values[kItemTitle] = FieldValue::of_text(as_utf8(cells[1], title_utf8));
    Item item;
    if (!cleaner.clean_item(values, item)) continue;
    bool flags_ok = true;
    for (std::size_t genre = 0; genre < genres.size() && flags_ok; ++genre) {
      std::string_view flag = trim_ascii(cells[5 + genre]);
      if (flag == "1") {
        // "unknown" is the flag for "no genre known", not a genre.
        if (genres[genre] != "unknown") add_unique(item.categories, genres[genre]);
      } else if (flag != "0") {
        session.reject("categories", "invalid_categories",
                       "genre flag of '" + genres[genre] + "' must be 0 or 1, got '" + std::string(flag) + "'");
        flags_ok = false;
      }
    }
    if (!flags_ok) continue;
    if (!trim_ascii(cells[2]).empty()) item.attributes["release_date"] = iso_date(cells[2]);
    if (!trim_ascii(cells[3]).empty()) item.attributes["video_release_date"] = iso_date(cells[3]);
    if (!trim_ascii(cells[4]).empty()) item.attributes["imdb_url"] = normalize_text(as_utf8(cells[4], url_utf8));
    session.accept_item(std::move(item));
  }
}

void read_users_100k(ImportSession& session, const std::string& path) {
  ColumnMapping mapping;
  mapping.entity = "users";
  RowCleaner cleaner(session, mapping, Entity::kUsers, {}, {});
  CsvReader reader(path, '|', session.progress());
  session.set_file(path);
  std::vector<std::string_view> cells;
  std::string scratch;
  while (reader.next(cells)) {
    ++session.report().rows_read;
    session.set_line(reader.line());
    if (cells.size() != 5) {
      session.reject("", "wrong_field_count", "expected 5 fields, got " + std::to_string(cells.size()));
      continue;
    }
    FieldValue values[kUserFieldNames.size()];
    values[kUserId] = FieldValue::of_text(cells[0]);
    User user;
    if (!cleaner.clean_user(values, user)) continue;
    std::optional<std::int64_t> age = parse_int(cells[1]);
    if (!age || *age < 0 || *age > 150) {
      session.reject("age", "invalid_age", "age must be a whole number in [0, 150], got '" +
                                               std::string(trim_ascii(cells[1])) + "'");
      continue;
    }
    user.attributes["age"] = *age;
    user.attributes["gender"] = normalize_text(as_utf8(cells[2], scratch));
    user.attributes["occupation"] = normalize_text(as_utf8(cells[3], scratch));
    user.attributes["zip"] = normalize_text(as_utf8(cells[4], scratch));  // text: "T8H1N", "01002"
    session.accept_user(std::move(user));
  }
}

}  // namespace

ImportReport import_movielens_100k(const std::string& dir, const ImportPolicy& policy, ImportSink& sink,
                                   bool quiet) {
  const std::string genre_path = in_dir(dir, "u.genre");
  const std::string item_path = in_dir(dir, "u.item");
  const std::string user_path = in_dir(dir, "u.user");
  const std::string data_path = in_dir(dir, "u.data");
  ImportSession session(policy, sink, quiet);
  // Sizing the progress bar also checks that every file is there before any is read.
  for (const std::string& path : {genre_path, item_path, user_path, data_path}) session.add_file(path);

  read_items_100k(session, item_path, read_genres(genre_path, session.progress()));
  read_users_100k(session, user_path);

  ColumnMapping ratings;
  ratings.fields = {{"user", "#0"}, {"item", "#1"}, {"value", "#2"}, {"timestamp", "#3"}};
  ratings.default_type = "rating";
  ratings.keep_unmapped_as_attributes = false;
  import_into(session, data_path, FileFormat::kTsv, ratings);
  return session.finish();
}

ImportReport import_movielens_latest(const std::string& dir, const ImportPolicy& policy, ImportSink& sink,
                                     bool quiet) {
  const std::string movies_path = in_dir(dir, "movies.csv");
  const std::string ratings_path = in_dir(dir, "ratings.csv");
  const std::string tags_path = in_dir(dir, "tags.csv");
  const bool has_tags = std::filesystem::exists(tags_path);
  ImportSession session(policy, sink, quiet);
  session.add_file(movies_path);
  session.add_file(ratings_path);
  if (has_tags) session.add_file(tags_path);

  ColumnMapping movies;
  movies.entity = "items";
  movies.fields = {{"item", "movieId"}, {"title", "title"}, {"categories", "genres"}};
  movies.list_separator = "|";
  movies.keep_unmapped_as_attributes = false;
  DriverOptions movie_options;
  movie_options.fix_item = [](Item& item) {
    std::erase(item.categories, std::string("(no genres listed)"));
  };
  import_into(session, movies_path, FileFormat::kCsv, movies, movie_options);

  ColumnMapping ratings;
  ratings.fields = {{"user", "userId"}, {"item", "movieId"}, {"value", "rating"}, {"timestamp", "timestamp"}};
  ratings.default_type = "rating";
  ratings.keep_unmapped_as_attributes = false;
  import_into(session, ratings_path, FileFormat::kCsv, ratings);

  if (has_tags) {
    ColumnMapping tags;
    tags.fields = {{"user", "userId"}, {"item", "movieId"}, {"timestamp", "timestamp"}, {"context.tag", "tag"}};
    tags.default_type = "tag";
    tags.keep_unmapped_as_attributes = false;
    DriverOptions tag_options;
    tag_options.auto_type_free_columns = false;  // a tag "2001" is text, not a number
    import_into(session, tags_path, FileFormat::kCsv, tags, tag_options);
  }
  return session.finish();
}

}  // namespace tailor::data
