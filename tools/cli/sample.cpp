// ardm sample: generation along a policy; the model's kind writes the samples (a PNG grid,
// printed text, WAV files).
#include <chrono>
#include <cstdio>

#include "ardm/kinds/kind_data.h"
#include "ardm/train/sample.h"
#include "common.h"

namespace ardm::cli {
namespace {

class Sample : public Command {
 public:
  explicit Sample(CLI::App& app) {
    auto* s = cmd_ = app.add_subcommand("sample", "generate images (a PNG grid), text (printed) or audio (WAV files) along a schedule");
    s->add_option("--model", model_path_, "checkpoint")->required();
    s->add_option("--count", count_, "number of samples")->capture_default_str();
    s->add_option("--budget", budget_, "network calls per sample, all stages (0 = all S*D steps)")->capture_default_str();
    s->add_option("--policy", policy_, "optimal or naive")->capture_default_str();
    s->add_option("--seed", seed_, "seed of orders and draws")->capture_default_str();
    s->add_option("--out", flags_.out,
                  "PNG grid of the samples (text models: a text file, they are printed too; audio models: "
                  "OUT-1.wav, OUT-2.wav, ...)")
        ->capture_default_str();
    s->add_option("--rate", flags_.rate, "audio: sample rate written in the WAV files")->capture_default_str();
    s->add_option("--chain", flags_.chain, "also write the generation chain as a PNG (rows: samples, columns: steps)");
    s->add_option("--cols", flags_.cols, "grid columns (0 = square)");
    add_common(s, common_);
  }
  bool parsed() const override { return cmd_->parsed(); }

  int run() override {
    const torch::Device dev = setup(common_);
    Model model = load_model(model_path_);
    if (count_ < 1) throw std::invalid_argument("--count must be at least 1");
    const int64_t budget = budget_ == 0 ? model.num_steps() : budget_;
    const auto policy = model.policy(budget, policy_);
    torch::NoGradGuard no_grad;
    model.ema->to(dev);
    model.ema->eval();
    auto gen = make_generator(seed_);
    const auto t0 = std::chrono::steady_clock::now();
    auto s = sample(*model.process, model.as_fn(model.ema), count_, policy, gen, dev, !flags_.chain.empty());
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    flags_.out_given = cmd_->count("--out") > 0;
    flags_.budget = budget;
    std::vector<torch::Tensor> chain;
    for (const auto& c : s.chain) chain.push_back(c.cpu());
    const auto where = kinds::data_of(kinds::of_spec(model.data())).write_samples(s.x.cpu(), chain, model.data(), flags_);
    // The summary goes where the samples do not (text samples are printed on stdout).
    std::fprintf(where == "stdout" ? stderr : stdout, "wrote %lld samples to %s (%lld network calls each, %s policy, %.2f s, %.3f s per call)\n",
                 static_cast<long long>(count_), where.c_str(), static_cast<long long>(budget), policy_.c_str(), secs,
                 secs / static_cast<double>(budget));
    return 0;
  }

 private:
  CLI::App* cmd_ = nullptr;
  std::string model_path_, policy_ = "optimal";
  int64_t count_ = 16, budget_ = 0;
  uint64_t seed_ = 0;
  kinds::SampleFlags flags_ = [] {
    kinds::SampleFlags f;
    f.out = "samples.png";
    return f;
  }();
  Common common_;
};

}  // namespace

std::unique_ptr<Command> add_sample(CLI::App& app) { return std::make_unique<Sample>(app); }

}  // namespace ardm::cli
