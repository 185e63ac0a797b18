// ardm schedule: the optimal step schedules of a model for network-call budgets, from its loss
// tracker (text or JSON).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "ardm/core/config_io.h"
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
  }
  bool parsed() const override { return cmd_->parsed(); }

  int run() override {
    Model model = load_model(model_path_);
    const int64_t S = model.num_stages(), D = model.num_values();
    auto budgets = parse_ints(budgets_);
    if (budgets.empty()) throw std::invalid_argument("--budget needs at least one value");
    for (auto k : budgets) check_budget(model, k);
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
    for (const int64_t k : budgets) {
      const auto p = table.policies(k);
      const double naive = model.predicted_cost(model.policy(k, "naive"));
      const double best = table.best_cost[static_cast<size_t>(k)];
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
  CLI::App* cmd_ = nullptr;
  std::string model_path_, budgets_ = "10,20,50,100,250";
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> add_schedule(CLI::App& app) { return std::make_unique<Schedule>(app); }

}  // namespace ardm::cli
