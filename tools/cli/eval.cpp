// ardm eval: a trained model's test bound (all steps), or with --budget its parallel model's
// bound and exact fixed-order code length.
#include <cstdio>

#include "ardm/core/config_io.h"
#include "ardm/train/eval.h"
#include "common.h"

namespace ardm::cli {
namespace {

class Eval : public Command {
 public:
  explicit Eval(CLI::App& app) {
    auto* e = cmd_ = app.add_subcommand("eval", "print the test-set bound of a trained model (EMA weights)");
    e->add_option("--model", model_path_, "checkpoint (e.g. runs/default/checkpoint.pt)")->required();
    e->add_option("--data", data_, "as train's --data (default: the data the model was trained on)");
    e->add_option("--split", split_, "train or test (fashion-mnist)")->capture_default_str();
    e->add_option("--limit", limit_, "use only N items (0 = all): the first ones, or for text windows spread over the split")->capture_default_str();
    e->add_option("--passes", passes_, "passes over the data (random order and step per item each)")->capture_default_str();
    e->add_option("--batch", batch_, "batch size")->capture_default_str();
    e->add_option("--seed", seed_, "seed of the orders and steps")->capture_default_str();
    e->add_option("--budget", budget_,
                  "also evaluate the parallel model with this many network calls (all stages together): its bound "
                  "and the exact fixed-order code length");
    e->add_option("--policy", policy_, "optimal (DP on the model's loss tracker) or naive (evenly spaced); a model "
                  "of the streams order has its own")
        ->capture_default_str();
    e->add_option("--exact-limit", exact_limit_,
                  "with --budget: the exact fixed-order value on only the first N items (it costs budget calls "
                  "per item; 0 skips it; default: all)");
    e->add_flag("--no-context", no_context_,
                "a model that sees the values before each item: show it none (the bound of each item alone)");
    add_common(e, common_);
  }
  bool parsed() const override { return cmd_->parsed(); }

  int run() override {
    const torch::Device dev = setup(common_);
    Model model = load_model(model_path_);
    const auto data = model_data(model, data_, split_, limit_);
    const char* unit = unit_of(model);
    const char* items = items_of(model);
    const char* es = passes_ == 1 ? "" : "es";
    if (budget_ == 0) {
      const auto r = evaluate(model, data, passes_, batch_, seed_, dev, !common_.quiet, !no_context_);
      std::printf("test bound: %.4f +- %.4f %s (%lld %s x %lld pass%s, EMA weights, step %lld)\n", r.bpd, r.stderr_bpd,
                  unit, static_cast<long long>(r.images), items, static_cast<long long>(passes_), es,
                  static_cast<long long>(model.step));
      return 0;
    }
    const auto plan = model.coding_plan(budget_, policy_);
    const auto& policy = plan.policies;
    // Without a history (here) the adaptive order codes as the streams order.
    const bool streams = streams_plan_order(model.model_cfg.process);
    std::printf("%s policy, budget %lld%s: %s\n", streams ? "streams" : policy_.c_str(), static_cast<long long>(budget_),
                policy.size() > 1 ? (" split " + split_text(policy)).c_str() : "", policies_text(policy, true).c_str());
    std::printf("predicted from the loss tracker: %.4f %s\n", model.predicted_cost(policy), unit);
    const auto b = evaluate_policy_bound(model, data, policy, passes_, batch_, seed_, dev, !common_.quiet, !no_context_);
    std::printf("policy bound: %.4f +- %.4f %s (%lld %s x %lld pass%s)\n", b.bpd, b.stderr_bpd, unit,
                static_cast<long long>(b.images), items, static_cast<long long>(passes_), es);
    if (exact_limit_ == 0) return 0;
    const auto exact_data = exact_limit_ > 0 ? data.slice(0, 0, std::min(exact_limit_, data.size(0))) : data;
    const auto e = evaluate_fixed_order(model, exact_data, plan, batch_, dev, !common_.quiet, !no_context_);
    const std::string order =
        streams ? "streams order"
                : (is_level_order(model.model_cfg.process.order) ? model.model_cfg.process.order + " order, seed "
                                                                : std::string("order seed ")) +
                      std::to_string(model.objective_cfg.order_seed);
    std::printf("exact fixed-order: %.4f %s (+- %.4f over %s; %lld %s, %lld network calls each, %s)\n", e.bpd, unit,
                e.stderr_images, items, static_cast<long long>(e.images), items,
                static_cast<long long>(e.network_calls), order.c_str());
    return 0;
  }

 private:
  CLI::App* cmd_ = nullptr;
  std::string model_path_, data_, split_ = "test", policy_ = "optimal";
  int64_t passes_ = 4, batch_ = 100, limit_ = 0, budget_ = 0, exact_limit_ = -1;
  uint64_t seed_ = 1234;
  bool no_context_ = false;
  Common common_;
};

}  // namespace

std::unique_ptr<Command> add_eval(CLI::App& app) { return std::make_unique<Eval>(app); }

}  // namespace ardm::cli
