// Driver of bench/rating_bench.py: fits Tailor's rating models on folds
// written by another tool (Surprise's KFold) so both sides see the very same
// train/test ratings, and prints one JSON line per (model, fold).
//
//   rating_folds --ratings u.data --folds DIR --model svd [--params JSON] [--fold K] [--sep TAB]
//
// --ratings: "user<sep>item<sep>rating[<sep>timestamp]" lines (all of them
//   form the dataset, so id maps are the same for every fold).
// --folds DIR: fold<K>.train and fold<K>.test for K = 0, 1, ... (until the
//   first missing one), each "user<TAB>item" per line, naming ratings of the
//   ratings file. A pair missing from it is an error.
// --params: a JSON object, or an array of objects to run several settings
//   (a sweep) in one process; the output echoes the params.
// --seed S: FitOptions::seed (default 42).
// --predictions FILE: also write "fold<TAB>user<TAB>item<TAB>rating<TAB>prediction"
//   for every test rating of the first setting (for blend analysis).
// Output per line: {"model", "params", "fold", "rmse", "mae", "rated",
//   "fit_seconds", "train", "test"}.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tailor/eval/eval.h"

namespace {

using tailor::dataset::Dataset;
using tailor::dataset::Interaction;

std::string key_of(const std::string& user, const std::string& item) { return user + '\t' + item; }

Dataset read_ratings(const std::string& path, char sep) {
  std::ifstream in(path);
  TAILOR_CHECK_ARG(in.good(), "cannot open " + path);
  std::vector<tailor::dataset::RawInteraction> rows;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string user, item, rating, ts;
    if (!std::getline(fields, user, sep) || !std::getline(fields, item, sep) || !std::getline(fields, rating, sep))
      continue;
    std::getline(fields, ts, sep);
    char* end = nullptr;
    const float r = std::strtof(rating.c_str(), &end);
    if (end == rating.c_str()) continue;  // a header
    rows.push_back({user, item, 1.0f, ts.empty() ? 0 : std::stoll(ts), r});
  }
  return tailor::dataset::make_dataset(rows);
}

std::vector<Interaction> read_part(const std::string& path, const std::map<std::string, std::size_t>& index,
                                   const Dataset& d) {
  std::ifstream in(path);
  TAILOR_CHECK_ARG(in.good(), "cannot open " + path);
  std::vector<Interaction> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string user, item;
    std::getline(fields, user, '\t');
    std::getline(fields, item, '\t');
    auto it = index.find(key_of(user, item));
    TAILOR_CHECK_ARG(it != index.end(), path + ": (" + user + ", " + item + ") is not a rating of the dataset");
    out.push_back(d.interactions[it->second]);
  }
  return out;
}

int run(int argc, char** argv) {
  std::map<std::string, std::string> args{{"--sep", "\t"}, {"--params", "{}"}, {"--fold", "-1"}, {"--seed", "42"}};
  for (int arg_idx = 1; arg_idx + 1 < argc; arg_idx += 2) args[argv[arg_idx]] = argv[arg_idx + 1];
  for (const char* required : {"--ratings", "--folds", "--model"})
    TAILOR_CHECK_ARG(args.count(required) != 0, std::string("missing ") + required);
  const char sep = args["--sep"] == "TAB" || args["--sep"].empty() ? '\t' : args["--sep"][0];
  const Dataset d = read_ratings(args["--ratings"], sep);
  std::map<std::string, std::size_t> index;
  for (std::size_t pos = 0; pos < d.interactions.size(); ++pos)
    index[key_of(d.users.id(d.interactions[pos].user), d.items.id(d.interactions[pos].item))] = pos;

  tailor::model::Params settings = tailor::model::Params::parse(args["--params"]);
  if (!settings.is_array()) settings = tailor::model::Params::array({settings});
  const int only_fold = std::stoi(args["--fold"]);
  std::ofstream predictions;
  if (args.count("--predictions") != 0) predictions.open(args["--predictions"]);
  for (int fold = 0;; ++fold) {
    const std::string stem = args["--folds"] + "/fold" + std::to_string(fold);
    if (!std::ifstream(stem + ".test").good()) break;
    if (only_fold >= 0 && fold != only_fold) continue;
    const std::vector<Interaction> train = read_part(stem + ".train", index, d);
    const std::vector<Interaction> test = read_part(stem + ".test", index, d);
    for (const auto& params : settings) {
      auto model = tailor::model::create_model(args["--model"], params);
      const double t0 = tailor::monotonic_seconds();
      tailor::model::FitOptions fit_options;
      fit_options.seed = std::stoull(args["--seed"]);
      model->fit(d, train, fit_options);
      const double fit_seconds = tailor::monotonic_seconds() - t0;
      tailor::eval::MetricMap m = tailor::eval::evaluate_rating(*model, test);
      if (predictions.is_open() && &params == &settings.front()) {
        for (const Interaction& x : test)
          predictions << fold << '\t' << d.users.id(x.user) << '\t' << d.items.id(x.item) << '\t' << *x.rating
                      << '\t' << model->predict(x.user, x.item).value_or(0.0f) << '\n';
      }
      tailor::model::Params line = {{"model", args["--model"]}, {"params", params},   {"fold", fold},
                                    {"rmse", m["rmse"]},        {"mae", m["mae"]},    {"rated", m["rated"]},
                                    {"fit_seconds", fit_seconds}, {"train", train.size()}, {"test", test.size()}};
      std::cout << line.dump() << std::endl;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "rating_folds: " << e.what() << "\n";
    return 1;
  }
}
