// The model registry (name -> factory and parameter table) and parameter
// checking shared by every model.
#include <cmath>

#include "models.h"

namespace tailor::model {
namespace {

struct Entry {
  const char* name;
  std::unique_ptr<Recommender> (*make)(const Params&);
  std::vector<ParamSpec> (*specs)();
};

// Registry order is the order model_names() reports.
const Entry kEntries[] = {
    {"popular", detail::make_popular, detail::popular_param_specs},
    {"itemknn", detail::make_itemknn, detail::itemknn_param_specs},
    {"userknn", detail::make_userknn, detail::userknn_param_specs},
    {"baseline", detail::make_baseline, detail::baseline_param_specs},
    // @implicit-models (als, bpr, ease, rp3beta)
    {"als", detail::make_als, detail::als_param_specs},
    {"bpr", detail::make_bpr, detail::bpr_param_specs},
    {"ease", detail::make_ease, detail::ease_param_specs},
    {"rp3beta", detail::make_rp3beta, detail::rp3beta_param_specs},
    // @rating-models (svd, svdpp)
    {"svd", detail::make_svd, detail::svd_param_specs},
    {"svdpp", detail::make_svdpp, detail::svdpp_param_specs},
    // @content-models (bm25, hybrid)
    {"bm25", detail::make_bm25, detail::bm25_param_specs},
    {"hybrid", detail::make_hybrid, detail::hybrid_param_specs},
    // @deep-models (sasrec, twotower)
    {"sasrec", detail::make_sasrec, detail::sasrec_param_specs},
    {"twotower", detail::make_twotower, detail::twotower_param_specs},
};

const Entry& find_entry(const std::string& name) {
  for (const Entry& entry : kEntries)
    if (name == entry.name) return entry;
  std::string known;
  for (const Entry& entry : kEntries) known += std::string(known.empty() ? "" : ", ") + entry.name;
  throw_error(ErrorCode::kInvalidArgument, "unknown model '" + name + "' (known: " + known + ")");
}

std::string format_number(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return std::to_string(static_cast<long long>(v));
  return std::to_string(v);
}

}  // namespace

std::unique_ptr<Recommender> create_model(const std::string& name, const Params& params) {
  return find_entry(name).make(params);
}

std::vector<std::string> model_names() {
  std::vector<std::string> out;
  for (const Entry& entry : kEntries) out.emplace_back(entry.name);
  return out;
}

std::vector<ParamSpec> model_param_specs(const std::string& name) { return find_entry(name).specs(); }

namespace detail {

Params resolve_params(const std::string& model_name, const std::vector<ParamSpec>& specs, const Params& params) {
  TAILOR_CHECK_ARG(params.is_object() || params.is_null(),
                   model_name + ": parameters must be a JSON object");
  const std::string where = model_name + ": parameter '";
  if (params.is_object()) {
    for (const auto& [key, value] : params.items()) {
      bool known = false;
      for (const ParamSpec& spec : specs) known = known || spec.name == key;
      if (known) continue;
      std::string names;
      for (const ParamSpec& spec : specs) names += (names.empty() ? "" : ", ") + spec.name;
      throw_error(ErrorCode::kInvalidArgument, model_name + ": unknown parameter '" + key + "' (known: " +
                                                   (names.empty() ? std::string("none") : names) + ")");
    }
  }
  Params out = Params::object();
  for (const ParamSpec& spec : specs) {
    const bool given = params.is_object() && params.contains(spec.name);
    const Params& value = given ? params.at(spec.name) : Params();
    switch (spec.kind) {
      case ParamSpec::Kind::kBool:
        if (!given) {
          out[spec.name] = spec.default_value != 0;
        } else {
          TAILOR_CHECK_ARG(value.is_boolean(), where + spec.name + "' must be true or false");
          out[spec.name] = value.get<bool>();
        }
        break;
      case ParamSpec::Kind::kInt:
      case ParamSpec::Kind::kDouble: {
        double v = spec.default_value;
        if (given) {
          TAILOR_CHECK_ARG(value.is_number(), where + spec.name + "' must be a number");
          v = value.get<double>();
          TAILOR_CHECK_ARG(std::isfinite(v), where + spec.name + "' must be finite");
          if (spec.kind == ParamSpec::Kind::kInt)
            TAILOR_CHECK_ARG(std::floor(v) == v, where + spec.name + "' must be an integer");
          TAILOR_CHECK_ARG(v >= spec.min && v <= spec.max, where + spec.name + "' must be in [" +
                                                               format_number(spec.min) + ", " +
                                                               format_number(spec.max) + "], got " +
                                                               format_number(v));
        }
        if (spec.kind == ParamSpec::Kind::kInt) {
          out[spec.name] = static_cast<std::int64_t>(v);
        } else {
          out[spec.name] = v;
        }
        break;
      }
    }
  }
  return out;
}

std::vector<float> row_norms(const dataset::CsrMatrix& m) {
  std::vector<float> norms(m.rows);
  for (std::uint32_t row_idx = 0; row_idx < m.rows; ++row_idx) {
    double sum = 0;
    for (float v : m.row_values(row_idx)) sum += static_cast<double>(v) * v;
    norms[row_idx] = static_cast<float>(std::sqrt(sum));
  }
  return norms;
}

dataset::CsrMatrix binarized(const dataset::CsrMatrix& m) {
  dataset::CsrMatrix out = m;
  std::fill(out.values.begin(), out.values.end(), 1.0f);
  return out;
}

std::vector<ScoredItem> best_of_row(const dataset::CsrMatrix& m, std::uint32_t row, std::size_t n,
                                    std::uint32_t self) {
  TopK top(n);
  auto cols = m.row_indices(row);
  auto vals = m.row_values(row);
  for (std::size_t pos = 0; pos < cols.size(); ++pos)
    if (cols[pos] != self) top.push(cols[pos], vals[pos]);
  return top.take();
}

}  // namespace detail
}  // namespace tailor::model
