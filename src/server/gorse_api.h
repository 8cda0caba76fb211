// Private to the server: the Gorse-compatible REST API under /api/...
// (contract: ../shared/design/GORSE_API.md), served beside the native /v1 API
// by the same router, so the same auth, rate limits and metrics apply.
//
// Keys (X-API-Key or Authorization: Bearer, checked only when keys are
// configured): /api/health/* is open; a client key may read everything and
// write behaviour (POST/PUT /api/feedback, session recommendations, write-back
// of recommend); data management needs an admin key (user and item writes,
// category changes, feedback deletes). A client key on an admin route gets 403.
//
// Errors are plain text (as Gorse sends them), with Tailor's status codes:
// 400 bad input naming the field, 401 key, 403 role, 404 missing user/item on
// GET or unknown recommender name, 429 rate limit, 503 no model yet.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tailor/experiment/experiment.h"
#include "tailor/server/server.h"

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace tailor::server {

using RouteHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const std::vector<std::string>&)>;

// True for the paths the Gorse API owns (they answer errors in plain text).
inline bool is_gorse_path(std::string_view path) { return path == "/api" || path.starts_with("/api/"); }

class GorseApi {
 public:
  // `model` returns the model requests see now and throws Unavailable when
  // there is none; `store` outlives this object. Handlers are thread-safe.
  // `experiments` returns the experiment runtime /api/recommend serves
  // through (null = none).
  GorseApi(store::Store& store, std::function<std::shared_ptr<const model::Recommender>()> model,
           std::function<experiment::Runtime*()> experiments = {});
  ~GorseApi();
  GorseApi(const GorseApi&) = delete;
  GorseApi& operator=(const GorseApi&) = delete;

  // The rows of the server's route table for /api/...; the handlers stay valid
  // while this object lives.
  std::vector<std::pair<RouteInfo, RouteHandler>> routes();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tailor::server
