// Training on everything in a store and persisting the result as the store's
// current model: the one path shared by `tailor train` and the server's
// background trainer, so both name and write the artifacts the same way.
#include "tailor/model/model.h"
#include "tailor/store/store.h"

namespace tailor::model {

std::string model_artifact_name(const std::string& model_name) { return "model:" + model_name; }

std::unique_ptr<Recommender> train_from_store(store::Store& store, const std::string& model_name,
                                              const Params& params, const dataset::SnapshotOptions& snapshot_options,
                                              const FitOptions& fit_options, StoreTrainingSummary* summary,
                                              const PrepareDataset& prepare) {
  auto recommender = create_model(model_name, params);  // bad name or params fail before any work
  dataset::Dataset data = dataset::snapshot(store, snapshot_options, fit_options.quiet);
  if (prepare) prepare(data);
  TAILOR_CHECK_ARG(!data.interactions.empty(), "the store has no interactions to train on; import some first");
  const double start = monotonic_seconds();
  recommender->fit(data, data.interactions, fit_options);
  const double fit_seconds = monotonic_seconds() - start;
  const std::string bytes = recommender->save_bytes();
  auto writer = store.begin_write();
  writer->put_artifact(kCurrentModelArtifact, bytes);
  writer->put_artifact(model_artifact_name(model_name), bytes);
  writer->commit();
  if (summary != nullptr) {
    summary->users = data.user_count();
    summary->items = data.item_count();
    summary->interactions = data.interactions.size();
    summary->fit_seconds = fit_seconds;
    summary->model_bytes = bytes.size();
  }
  return recommender;
}

}  // namespace tailor::model
