// Private: the XGBoost propensity model, compiled against libxgboost when the
// build found it (TAILOR_HAVE_XGBOOST) and a stub that reports Unavailable otherwise.
#pragma once

#include <memory>

#include "tailor/analytics/analytics.h"

namespace tailor::analytics::detail {

bool xgboost_linked();
std::unique_ptr<PropensityModel> make_xgboost_model(const XgboostOptions& options, int threads);

}  // namespace tailor::analytics::detail
