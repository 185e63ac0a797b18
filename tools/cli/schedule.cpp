// ardm schedule: the optimal step schedules of a model for network-call budgets, from its loss
// tracker (text or JSON); with --measure, from per-step costs measured on data instead, written
// into a copy of the checkpoint that `ardm export` then bundles.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "ardm/core/config_io.h"
#include "ardm/core/levels.h"
#include "ardm/train/eval.h"
#include "common.h"

namespace ardm::cli {
namespace {

class Schedule : public Command {
 public:
  explicit Schedule(CLI::App& app) {
    cmd_ = app.add_subcommand("schedule", "optimal step schedules for network-call budgets (from the loss tracker)");
    cmd_->add_option("--model", model_path_, "checkpoint")->required();
    cmd_->add_option("--budget", budgets_, "comma-separated budgets")->capture_default_str();
    cmd_->add_flag("--json", json_, "print JSON instead of text");
    cmd_->add_option("--measure", measure_,
                     "measure the per-step costs on this data (as train's --data; 'model': the data the model was "
                     "trained on) with the EMA weights instead of reading the training loss tracker; needs --out");
    cmd_->add_option("--split", split_, "with --measure: the split (use one the model was not trained on)")
        ->capture_default_str();
    cmd_->add_option("--limit", limit_, "with --measure: N items spread evenly over the split (0 = all)")
        ->capture_default_str();
    cmd_->add_option("--points", points_, "with --measure: steps measured per stage (interpolated between)")
        ->capture_default_str();
    cmd_->add_option("--batch", batch_, "with --measure: batch size")->capture_default_str();
    cmd_->add_option("--seed", seed_, "with --measure: seed of the orders")->capture_default_str();
    cmd_->add_option("--out", out_, "with --measure: the checkpoint to write (the model with the measured costs as "
                     "its loss tracker; weights only)");
    add_common(cmd_, common_);
  }
  bool parsed() const override { return cmd_->parsed(); }

  int run() override {
    Model model = load_model(model_path_);
    const int64_t S = model.num_stages(), D = model.num_values();
    auto budgets = parse_ints(budgets_);
    if (budgets.empty()) throw std::invalid_argument("--budget needs at least one value");
    for (auto k : budgets) check_budget(model, k);
    if (!measure_.empty()) measure(model);  // after the checks: a bad --budget fails before minutes of measuring
    const auto table = model.schedules(*std::max_element(budgets.begin(), budgets.end()));
    const double full = model.predicted_cost(model.policy(S * D, "naive"));
    const char* unit = unit_of(model);
    // Each stage's share of the cost of all steps (a stage's costs are in bits per dim of the whole item).
    std::vector<double> per_stage;
    std::string stages_text;
    for (int64_t s = 0; s < S; ++s) {
      const auto c = model.stage_costs(s);
      per_stage.push_back(std::accumulate(c.begin(), c.end(), 0.0));
      char buf[32];
      std::snprintf(buf, sizeof buf, "%s%.4f", s ? ", " : "", per_stage.back());
      stages_text += buf;
    }
    // The JSON is built whole and printed at the end; nlohmann writes a non-finite cost as null.
    nlohmann::ordered_json json = {{"process", model.process->describe()}, {"stages", S}, {"steps_per_stage", D},
                                   {"full_bpd", full}, {"per_stage_bpd", per_stage},
                                   {"budgets", nlohmann::ordered_json::array()}};
    if (!json_)
      std::printf("model %s: %s, %lld steps per stage; all steps: %.4f %s (loss tracker)%s\n", model_path_.c_str(),
                  model.process->describe().c_str(), static_cast<long long>(D), full, unit,
                  S > 1 ? ("; by stage: " + stages_text).c_str() : "");
    // An order of groups (quincunx) has policies that start at its groups (schedule_dp.h,
    // model_policies), as the codec's do; the others read the staged table.
    const bool grouped = !policy_groups(model.model_cfg.process.order, model.data().shape).empty();
    for (const int64_t k : budgets) {
      const auto p = grouped ? model.policy(k, "optimal") : table.policies(k);
      const double naive = model.predicted_cost(model.policy(k, "naive"));
      const double best = grouped ? model.predicted_cost(p) : table.best_cost[static_cast<size_t>(k)];
      if (json_) {
        std::vector<int64_t> split;
        for (const auto& s : p) split.push_back(static_cast<int64_t>(s.size()));
        json["budgets"].push_back(nlohmann::ordered_json{
            {"budget", k}, {"optimal_bpd", best}, {"naive_bpd", naive}, {"split", split}, {"policies", p}});
      } else {
        std::printf("budget %4lld: optimal %.4f %s, naive %.4f %s; %s%s\n", static_cast<long long>(k), best, unit, naive,
                    unit, S > 1 ? ("split " + split_text(p) + "; ").c_str() : "policy ", policies_text(p, false).c_str());
      }
    }
    if (json_) std::printf("%s\n", json.dump().c_str());
    return 0;
  }

 private:
  // Replaces the model's loss tracker by costs measured on data and saves it as --out.
  void measure(Model& model) {
    if (out_.empty()) throw std::invalid_argument("--measure needs --out (the checkpoint to write)");
    const torch::Device dev = setup(common_);
    auto data = model_data(model, measure_ == "model" ? "" : measure_, split_, 0);
    const int64_t n = data.size(0);
    if (limit_ > 0 && limit_ < n)  // spread over the split: its sources are concatenated one after another
      data = data.index_select(0, torch::linspace(0, static_cast<double>(n - 1), limit_).round().to(torch::kInt64));
    const double tracked = model.predicted_cost(model.policy(model.num_steps(), "naive"));
    const auto costs = measure_step_costs(model, data, points_, batch_, seed_, dev, !common_.quiet);
    model.tracker = LossTracker::from_state(costs, torch::ones_like(costs, torch::kBool), model.tracker.prior_bpd());
    save_checkpoint(out_, model, nullptr, /*weights_only=*/true);
    std::fprintf(stderr, "measured on %lld %s of %s (%s), %lld steps per stage: all steps %.4f %s (the training "
                 "tracker said %.4f); wrote %s\n", static_cast<long long>(data.size(0)), items_of(model),
                 measure_.c_str(), split_.c_str(), static_cast<long long>(points_),
                 model.predicted_cost(model.policy(model.num_steps(), "naive")), unit_of(model), tracked, out_.c_str());
  }

  CLI::App* cmd_ = nullptr;
  std::string model_path_, budgets_ = "10,20,50,100,250", measure_, split_ = "valid", out_;
  int64_t limit_ = 0, points_ = 32, batch_ = 16;
  uint64_t seed_ = 1234;
  bool json_ = false;
  Common common_;
};

}  // namespace

std::unique_ptr<Command> add_schedule(CLI::App& app) { return std::make_unique<Schedule>(app); }

}  // namespace ardm::cli
