// Test helper: reads the shared public datasets' rating files straight into a
// Dataset (no store), for the data-labelled tests of several components.
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tailor/dataset/dataset.h"

namespace tailor::testing_data {

inline const std::string kDatasetsDir = TAILOR_DATASETS_DIR;

// Reads "user<sep>item<sep>rating<sep>timestamp" lines into interactions of
// weight 1 carrying the rating; lines whose rating does not parse (a CSV
// header) are skipped. An empty Dataset when the file is missing.
inline dataset::Dataset read_ratings(const std::string& path, char sep) {
  std::ifstream in(path);
  if (!in) return {};
  std::vector<dataset::RawInteraction> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string user, item, rating, ts;
    if (!std::getline(fields, user, sep) || !std::getline(fields, item, sep) || !std::getline(fields, rating, sep) ||
        !std::getline(fields, ts, sep))
      continue;
    char* end = nullptr;
    const float r = std::strtof(rating.c_str(), &end);
    if (end == rating.c_str()) continue;
    rows.push_back({user, item, 1.0f, std::stoll(ts), r});
  }
  return dataset::make_dataset(rows);
}

// MovieLens 100K's u.data (tab-separated).
inline dataset::Dataset read_ml100k() { return read_ratings(kDatasetsDir + "/ml-100k/u.data", '\t'); }

}  // namespace tailor::testing_data
