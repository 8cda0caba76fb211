// The recommendation routes' entry into experiments: the shared pipeline
// (rank::recommend_for_user) as the ranker of Runtime::serve, with the
// variant's settings applied to the route's query.
#include "tailor/experiment/experiment.h"

namespace tailor::experiment {

ServedRecommendation serve_recommendation(Runtime* runtime, const std::string& surface, const store::Store& store,
                                          const std::shared_ptr<const model::Recommender>& default_model,
                                          const rank::RecommendQuery& query, std::size_t position_offset,
                                          const std::string& request_id, const FinishFn& finish) {
  ServedRecommendation out;
  const RankFn rank = [&](const model::Recommender& model, const ArmSettings& arm) {
    rank::RecommendQuery variant_query = query;
    if (arm.diversity) variant_query.diversity = *arm.diversity;
    if (arm.rerank && !*arm.rerank) variant_query.diversity = 0;  // reranking off: the model's order as it is
    const rank::RecommendResult answer = rank::recommend_for_user(store, model, variant_query);
    out.source = answer.source;
    out.history_length = answer.history_length;
    if (finish) return finish(model, answer);
    std::vector<RankedItem> items;
    for (const auto& r : answer.items) items.push_back({model.item_ids().id(r.item), r.score});
    return items;
  };
  Served served;
  if (runtime != nullptr) {
    served = runtime->serve(surface, query.user, default_model, position_offset, request_id, rank);
  } else {
    served.model = default_model;
    served.items = rank(*default_model, {});
  }
  static_cast<Served&>(out) = std::move(served);
  return out;
}

}  // namespace tailor::experiment
