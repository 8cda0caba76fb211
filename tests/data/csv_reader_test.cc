// CsvReader and JsonlReader on the awkward corners of real files: quotes,
// newlines inside quotes (and the line numbers after them), CRLF, BOM, other
// delimiters, gzip, chunk boundaries, and broken input.
#include <gtest/gtest.h>

#include <random>

#include "csv_reader.h"
#include "jsonl_reader.h"
#include "test_util.h"

namespace tailor::data {
namespace {

using testing::TempDir;

struct Record {
  std::uint64_t line;
  std::vector<std::string> fields;
  bool operator==(const Record&) const = default;
};

std::vector<Record> read_all(const std::string& path, char delimiter = ',', std::size_t chunk = 1 << 20) {
  CsvReader reader(path, delimiter, nullptr, chunk);
  std::vector<std::string_view> fields;
  std::vector<Record> out;
  while (reader.next(fields)) out.push_back({reader.line(), {fields.begin(), fields.end()}});
  return out;
}

TEST(CsvReader, PlainRecordsAndLineNumbers) {
  TempDir dir;
  auto rows = read_all(dir.write("a.csv", "a,b,c\n1,2,3\n4,5,6"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], (Record{1, {"a", "b", "c"}}));
  EXPECT_EQ(rows[2], (Record{3, {"4", "5", "6"}}));  // last line without newline
}

TEST(CsvReader, QuotedFieldsWithDelimitersAndDoubledQuotes) {
  TempDir dir;
  auto rows = read_all(dir.write("q.csv", "\"x, y\",\"He said \"\"hi\"\"\",z,\"\"\n"));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"x, y", "He said \"hi\"", "z", ""}));
}

TEST(CsvReader, EmbeddedNewlineKeepsPhysicalLineNumbers) {
  TempDir dir;
  auto rows = read_all(dir.write("n.csv", "id,text\n1,\"line one\nline two\nline three\"\n2,after\n\n3,last\n"));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1], (Record{2, {"1", "line one\nline two\nline three"}}));
  EXPECT_EQ(rows[2], (Record{5, {"2", "after"}}));  // the quoted field spanned lines 2-4
  EXPECT_EQ(rows[3], (Record{7, {"3", "last"}}));   // line 6 is blank and skipped
}

TEST(CsvReader, CrlfLineEnds) {
  TempDir dir;
  auto rows = read_all(dir.write("crlf.csv", "a,b\r\n1,\"q\"\r\n\r\n\"x\r\ny\",2\r\n"));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], (Record{2, {"1", "q"}}));
  EXPECT_EQ(rows[2], (Record{4, {"x\r\ny", "2"}}));  // CRLF inside quotes is data
}

TEST(CsvReader, ByteOrderMarkIsDropped) {
  TempDir dir;
  auto rows = read_all(dir.write("bom.csv", "\xEF\xBB\xBFid,name\n1,x\n"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fields[0], "id");
}

TEST(CsvReader, TabAndPipeDelimiters) {
  TempDir dir;
  auto tsv = read_all(dir.write("t.tsv", "196\t242\t3\t881250949\n"), '\t');
  EXPECT_EQ(tsv[0].fields, (std::vector<std::string>{"196", "242", "3", "881250949"}));
  auto pipe = read_all(dir.write("p.txt", "1|Toy Story (1995)||x\n"), '|');
  EXPECT_EQ(pipe[0].fields, (std::vector<std::string>{"1", "Toy Story (1995)", "", "x"}));
}

TEST(CsvReader, TrailingDelimiterMeansEmptyLastField) {
  TempDir dir;
  auto rows = read_all(dir.write("t.csv", "a,b,\n"));
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"a", "b", ""}));
}

TEST(CsvReader, LenientQuotes) {
  TempDir dir;
  // A quote inside an unquoted field is literal; text after a closing quote is kept.
  auto rows = read_all(dir.write("l.csv", "5\" disk,\"ab\"cd,e\n"));
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"5\" disk", "abcd", "e"}));
}

TEST(CsvReader, GzipGivesTheSameRecords) {
  TempDir dir;
  std::string text = "\xEF\xBB\xBFid,text\r\n1,\"a\nb\"\r\n2,\"c \"\"d\"\"\"\r\n";
  EXPECT_EQ(read_all(dir.write_gz("x.csv.gz", text)), read_all(dir.write("x.csv", text)));
  EXPECT_EQ(read_all(dir.file("x.csv.gz")).size(), 3u);
}

TEST(CsvReader, ChunkBoundariesDoNotChangeTheResult) {
  TempDir dir;
  std::string text;
  for (int row = 0; row < 50; ++row)
    text += std::to_string(row) + ",\"q\"\"" + std::string(static_cast<std::size_t>(row % 7), 'x') +
            "\n" + std::to_string(row) + "\",plain" + std::string(static_cast<std::size_t>(row % 5), 'y') + "\r\n";
  auto path = dir.write("chunks.csv", text);
  auto expected = read_all(path);
  ASSERT_EQ(expected.size(), 50u);
  EXPECT_EQ(expected[1].line, 3u);
  for (std::size_t chunk : {1, 2, 3, 5, 8, 13, 64}) EXPECT_EQ(read_all(path, ',', chunk), expected) << chunk;
}

TEST(CsvReader, UnterminatedQuoteThrowsWithLineAndColumn) {
  TempDir dir;
  auto path = dir.write("bad.csv", "a,b\n1,2\n3,\"never closed\n4,5\n");
  try {
    read_all(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("bad.csv:3: column 2"), std::string::npos) << e.what();
  }
}

TEST(CsvReader, MissingFileIsNotFound) {
  try {
    read_all("/nonexistent/tailor/x.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

TEST(CsvReader, DamagedGzipIsCorruption) {
  TempDir dir;
  std::string text(100000, 'a');
  auto path = dir.write_gz("t.csv.gz", text);
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto truncated = dir.write("cut.csv.gz", bytes.substr(0, bytes.size() / 2));
  try {
    read_all(truncated);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption) << e.what();
  }
}

// A plain whole-string reference with the same rules as CsvReader, for the
// randomised comparison below. Throws std::runtime_error on an open quote.
std::vector<Record> reference_parse(const std::string& text) {
  std::vector<Record> out;
  std::size_t p = 0;
  std::uint64_t line = 1;
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) p = 3;
  while (p < text.size()) {
    Record record{line, {}};
    bool first_quoted = false;
    for (;;) {
      std::string field;
      bool quoted = p < text.size() && text[p] == '"';
      if (record.fields.empty()) first_quoted = quoted;
      if (quoted) {
        ++p;
        for (;;) {
          if (p >= text.size()) throw std::runtime_error("open quote");
          if (text[p] == '"') {
            if (p + 1 < text.size() && text[p + 1] == '"') {
              field += '"';
              p += 2;
              continue;
            }
            ++p;
            break;
          }
          if (text[p] == '\n') ++line;
          field += text[p++];
        }
      }
      std::size_t start = p;
      while (p < text.size() && text[p] != ',' && text[p] != '\n') ++p;
      std::string rest = text.substr(start, p - start);
      if (!rest.empty() && rest.back() == '\r' && (p == text.size() || text[p] == '\n')) rest.pop_back();
      record.fields.push_back(field + rest);
      if (p < text.size() && text[p] == ',') {
        ++p;
        continue;
      }
      if (p < text.size()) {
        ++p;
        ++line;
      }
      break;
    }
    if (!(record.fields.size() == 1 && !first_quoted && record.fields[0].empty())) out.push_back(record);
  }
  return out;
}

TEST(CsvReader, AgreesWithReferenceOnRandomInput) {
  TempDir dir;
  std::mt19937 rng(20240611);
  const std::string alphabet = "ab,\"\n\r ";
  for (int doc = 0; doc < 400; ++doc) {
    std::string text;
    std::size_t length = rng() % 80;
    for (std::size_t k = 0; k < length; ++k) text += alphabet[rng() % alphabet.size()];
    auto path = dir.write("fuzz.csv", text);
    bool reference_throws = false;
    std::vector<Record> expected;
    try {
      expected = reference_parse(text);
    } catch (const std::runtime_error&) {
      reference_throws = true;
    }
    for (std::size_t chunk : {1, 2, 7, 1 << 20}) {
      if (reference_throws) {
        EXPECT_THROW(read_all(path, ',', chunk), Error) << ::testing::PrintToString(text);
      } else {
        EXPECT_EQ(read_all(path, ',', chunk), expected) << ::testing::PrintToString(text) << " chunk " << chunk;
      }
    }
  }
}

// ------------------------------------------------------------------ JSONL ---

TEST(JsonlReader, ObjectsBlankLinesAndBadLines) {
  TempDir dir;
  auto path = dir.write_gz("x.jsonl.gz", "{\"a\": 1}\r\n\n   \n[1, 2]\n{broken\n{\"b\": \"\xE5\x8C\x97\"}");
  JsonlReader reader(path);
  Json row;
  std::string error;
  ASSERT_EQ(reader.next(row, error), JsonlReader::Status::kObject);
  EXPECT_EQ(row["a"], 1);
  EXPECT_EQ(reader.line(), 1u);
  ASSERT_EQ(reader.next(row, error), JsonlReader::Status::kBad);
  EXPECT_EQ(reader.line(), 4u);
  EXPECT_NE(error.find("array"), std::string::npos) << error;
  ASSERT_EQ(reader.next(row, error), JsonlReader::Status::kBad);
  EXPECT_EQ(reader.line(), 5u);
  ASSERT_EQ(reader.next(row, error), JsonlReader::Status::kObject);
  EXPECT_EQ(row["b"], "\xE5\x8C\x97");
  EXPECT_EQ(reader.line(), 6u);
  EXPECT_EQ(reader.next(row, error), JsonlReader::Status::kEnd);
}

TEST(JsonlReader, LinesLongerThanTheChunk) {
  TempDir dir;
  std::string long_text(5000, 'z');
  auto path = dir.write("long.jsonl", "{\"t\": \"" + long_text + "\"}\n{\"t\": 2}\n");
  JsonlReader reader(path, nullptr, 16);
  Json row;
  std::string error;
  ASSERT_EQ(reader.next(row, error), JsonlReader::Status::kObject);
  EXPECT_EQ(row["t"], long_text);
  ASSERT_EQ(reader.next(row, error), JsonlReader::Status::kObject);
  EXPECT_EQ(row["t"], 2);
}

}  // namespace
}  // namespace tailor::data
