// The XGBoost propensity model through XGBoost's C API: binary:logistic
// gradient-boosted trees (hist), feature importance as total gain.
// Every C handle lives in a unique_ptr with its free function as deleter.
#include "xgboost_model.h"

#include <cmath>
#include <limits>
#include <string>

#include "tailor/core/core.h"

#ifdef TAILOR_HAVE_XGBOOST
#include <xgboost/c_api.h>
#endif

namespace tailor::analytics::detail {

#ifdef TAILOR_HAVE_XGBOOST
namespace {

void check(int status, const char* what) {
  if (status != 0) throw_error(ErrorCode::kInternal, std::string("xgboost ") + what + ": " + XGBGetLastError());
}

struct MatrixFree {
  void operator()(void* handle) const { XGDMatrixFree(handle); }
};
struct BoosterFree {
  void operator()(void* handle) const { XGBoosterFree(handle); }
};
using MatrixPtr = std::unique_ptr<void, MatrixFree>;
using BoosterPtr = std::unique_ptr<void, BoosterFree>;

// A dense DMatrix of the given rows (copied into a contiguous buffer).
MatrixPtr make_matrix(const FeatureMatrix& x, std::span<const std::size_t> rows, bool with_labels) {
  std::vector<float> buffer(rows.size() * x.cols);
  std::vector<float> labels(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::copy_n(x.values.data() + rows[i] * x.cols, x.cols, buffer.data() + i * x.cols);
    labels[i] = x.labels[rows[i]];
  }
  DMatrixHandle handle = nullptr;
  check(XGDMatrixCreateFromMat(buffer.data(), rows.size(), x.cols, std::numeric_limits<float>::quiet_NaN(), &handle),
        "DMatrix");
  MatrixPtr matrix(handle);
  if (with_labels) check(XGDMatrixSetFloatInfo(handle, "label", labels.data(), labels.size()), "labels");
  return matrix;
}

class XgboostModel final : public PropensityModel {
 public:
  XgboostModel(const XgboostOptions& options, int threads) : options_(options), threads_(threads) {
    TAILOR_CHECK_ARG(options.rounds >= 1 && options.rounds <= 100000, "xgboost rounds must be in [1, 100000]");
    TAILOR_CHECK_ARG(options.eta > 0 && options.eta <= 1, "xgboost eta must be in (0, 1]");
    TAILOR_CHECK_ARG(options.max_depth >= 1 && options.max_depth <= 32, "xgboost max_depth must be in [1, 32]");
    TAILOR_CHECK_ARG(options.subsample > 0 && options.subsample <= 1, "xgboost subsample must be in (0, 1]");
    TAILOR_CHECK_ARG(options.colsample > 0 && options.colsample <= 1, "xgboost colsample must be in (0, 1]");
    TAILOR_CHECK_ARG(options.min_child_weight >= 0, "xgboost min_child_weight must be >= 0");
  }

  void fit(const FeatureMatrix& x, std::span<const std::size_t> rows) override {
    TAILOR_CHECK_ARG(!rows.empty(), "no training rows");
    double positives = 0;
    for (std::size_t row : rows) positives += x.labels[row];
    TAILOR_CHECK_ARG(positives > 0 && positives < static_cast<double>(rows.size()), "the training rows hold only one class");
    names_ = x.names;
    cols_ = x.cols;
    MatrixPtr train = make_matrix(x, rows, true);
    DMatrixHandle handles[] = {train.get()};
    BoosterHandle booster = nullptr;
    check(XGBoosterCreate(handles, 1, &booster), "create");
    booster_.reset(booster);
    const int threads = threads_ > 0 ? threads_ : default_thread_count();
    const std::pair<const char*, std::string> params[] = {
        {"objective", "binary:logistic"},
        {"tree_method", "hist"},
        {"eta", std::to_string(options_.eta)},
        {"max_depth", std::to_string(options_.max_depth)},
        {"subsample", std::to_string(options_.subsample)},
        {"colsample_bytree", std::to_string(options_.colsample)},
        {"min_child_weight", std::to_string(options_.min_child_weight)},
        {"seed", std::to_string(options_.seed)},
        {"nthread", std::to_string(threads)},
        {"verbosity", "0"},
    };
    for (const auto& [key, value] : params) check(XGBoosterSetParam(booster, key, value.c_str()), key);
    for (int round = 0; round < options_.rounds; ++round) {
      check(XGBoosterUpdateOneIter(booster, round, train.get()), "update");
    }
  }

  std::vector<double> predict(const FeatureMatrix& x, std::span<const std::size_t> rows) const override {
    TAILOR_CHECK_ARG(booster_ != nullptr, "the xgboost model is not fitted");
    TAILOR_CHECK_ARG(x.cols == cols_, "the model was fitted on a different number of features");
    if (rows.empty()) return {};
    MatrixPtr matrix = make_matrix(x, rows, false);
    bst_ulong length = 0;
    const float* result = nullptr;
    check(XGBoosterPredict(booster_.get(), matrix.get(), 0, 0, 0, &length, &result), "predict");
    TAILOR_ASSERT(length == rows.size());
    return std::vector<double>(result, result + length);
  }

  std::vector<FeatureImportance> importance() const override {
    TAILOR_CHECK_ARG(booster_ != nullptr, "the xgboost model is not fitted");
    bst_ulong count = 0;
    const char** features = nullptr;
    bst_ulong dim = 0;
    const bst_ulong* shape = nullptr;
    const float* scores = nullptr;
    check(XGBoosterFeatureScore(booster_.get(), R"({"importance_type": "total_gain", "feature_map": ""})", &count,
                                &features, &dim, &shape, &scores),
          "feature score");
    // Features without a split are absent; unnamed features come back as "f<column>".
    std::vector<FeatureImportance> items;
    for (std::size_t col = 0; col < names_.size(); ++col) items.push_back({names_[col], 0.0});
    for (bst_ulong pos = 0; pos < count; ++pos) {
      const std::string name = features[pos];
      TAILOR_ASSERT(name.size() > 1 && name[0] == 'f');
      const std::size_t col = std::stoul(name.substr(1));
      TAILOR_ASSERT(col < items.size());
      items[col].value = scores[pos];
    }
    std::stable_sort(items.begin(), items.end(),
                     [](const FeatureImportance& a, const FeatureImportance& b) { return a.value > b.value; });
    return items;
  }

  std::string name() const override { return "xgboost"; }

 private:
  XgboostOptions options_;
  int threads_;
  std::vector<std::string> names_;
  std::size_t cols_ = 0;
  BoosterPtr booster_;
};

}  // namespace

bool xgboost_linked() { return true; }

std::unique_ptr<PropensityModel> make_xgboost_model(const XgboostOptions& options, int threads) {
  return std::make_unique<XgboostModel>(options, threads);
}

#else

bool xgboost_linked() { return false; }

std::unique_ptr<PropensityModel> make_xgboost_model(const XgboostOptions&, int) {
  throw_error(ErrorCode::kUnavailable,
              "this build has no XGBoost (install libxgboost-dev and reconfigure); use the logistic model");
}

#endif

}  // namespace tailor::analytics::detail
