// The deterministic engine against its LibTorch twins: the same network outputs (to float
// tolerance), the same processes, code lengths within a hair of LibTorch's, and the property
// the engine exists for: the same bits for any batch, thread count and instruction set.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>

#include "ardm/core/schedule_dp.h"
#include "ardm/legacy/codec.h"
#include "ardm/coding/format.h"
#include "ardm/engine/codec.h"
#include "ardm/engine/kernels.h"
#include "ardm/engine/math.h"
#include "ardm/engine/model_file.h"
#include "ardm/engine/net.h"
#include "ardm/train/eval.h"
#include "ardm/train/export.h"
#include "random_model.h"
#include "twin_inputs.h"

namespace {

using ardm::engine::EngineCodec;
using ardm::engine::Isa;


// Every instruction set this machine can run (scalar always).
std::vector<Isa> runnable_isas() {
  std::vector<Isa> out;
  for (Isa i : {Isa::kScalar, Isa::kAvx2, Isa::kNeon})
    if (ardm::engine::isa_supported(i)) out.push_back(i);
  return out;
}

// Restores the kernel choice after a test that changes it.
struct IsaGuard {
  Isa saved = ardm::engine::active_isa();
  ~IsaGuard() { ardm::engine::set_isa(saved); }
};

void expect_twin_outputs(ardm::Model& model, int64_t B) {
  const auto em = ardm::engine_model_of(model);
  const auto net = ardm::engine::make_net(em);
  ardm::engine::ThreadPool pool(2);
  const auto in = random_inputs(model, B, 7);
  const auto got = net->forward({B, in.x.data(), in.known.data(), in.t.data(), in.stage.data()}, pool);
  const auto want = torch_outputs(model, in, B);
  ASSERT_EQ(got.size(), want.size());
  double max_err = 0, max_abs = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    max_err = std::max(max_err, std::fabs(static_cast<double>(got[i]) - want[i]));
    max_abs = std::max(max_abs, std::fabs(static_cast<double>(want[i])));
  }
  EXPECT_GT(max_abs, 1.0);  // the outputs are not trivially small
  EXPECT_LT(max_err, 2e-4 * max_abs) << "largest output " << max_abs;
}

}  // namespace

TEST(Engine, MathFunctionsAreAccurate) {
  double e = 0;
  for (double x = -700; x < 700; x += 0.0731) e = std::max(e, std::fabs(ardm::engine::exp_d(x) / std::exp(x) - 1));
  EXPECT_LT(e, 1e-15);
  e = 0;
  for (double x = 1e-300; x < 1e300; x *= 1.73) e = std::max(e, std::fabs(ardm::engine::log_d(x) - std::log(x)) / std::max(1.0, std::fabs(std::log(x))));
  EXPECT_LT(e, 1e-15);
  e = 0;
  for (double x = -1000; x < 1000; x += 0.0173)
    e = std::max({e, std::fabs(ardm::engine::sin_d(x) - std::sin(x)), std::fabs(ardm::engine::cos_d(x) - std::cos(x))});
  EXPECT_LT(e, 1e-13);
  e = 0;
  for (float x = -87; x < 88; x += 0.00731f) e = std::max(e, std::fabs(ardm::engine::exp_f(x) / std::exp(static_cast<double>(x)) - 1));
  EXPECT_LT(e, 2e-7);
  EXPECT_EQ(ardm::engine::exp_f(-200.0f), 0.0f);
  EXPECT_TRUE(std::isinf(ardm::engine::exp_f(100.0f)));
}

TEST(Engine, DenseKernelIsTheSequentialFmaChainOnEveryIsa) {
  IsaGuard guard;
  torch::manual_seed(3);
  const int64_t M = 37, K = 53, O = 45;  // odd sizes: partial tiles and a partial panel
  auto x = torch::randn({M, K}), w = torch::randn({O, K}), b = torch::randn({O});
  const auto d = ardm::engine::make_dense(w.data_ptr<float>(), b.data_ptr<float>(), O, K);
  std::vector<float> want(static_cast<size_t>(M * O));
  for (int64_t m = 0; m < M; ++m)
    for (int64_t o = 0; o < O; ++o) {
      float acc = 0;
      for (int64_t k = 0; k < K; ++k) acc = std::fmaf(x[m][k].item<float>(), w[o][k].item<float>(), acc);
      want[static_cast<size_t>(m * O + o)] = acc + b[o].item<float>();
    }
  for (Isa isa : runnable_isas()) {
    ardm::engine::set_isa(isa);
    std::vector<float> y(static_cast<size_t>(M * O));
    ardm::engine::dense_rows(d, x.data_ptr<float>(), K, M, y.data(), O);
    EXPECT_EQ(std::memcmp(y.data(), want.data(), y.size() * sizeof(float)), 0) << ardm::engine::isa_name(isa);
  }
}

TEST(Engine, UNetMatchesLibTorch) {
  for (const auto& [b, param] : std::vector<std::pair<int64_t, std::string>>{{0, "matrix"}, {4, "direct"}, {16, "matrix"}}) {
    SCOPED_TRACE("upscale " + std::to_string(b) + " " + param);
    auto gray = random_model(11, b, param);
    expect_twin_outputs(gray, 3);
    auto rgb = random_rgb_model(12, b, param);
    expect_twin_outputs(rgb, 2);
  }
}

TEST(Engine, OutputsAreTheSameBitsForAnyBatchThreadsAndIsa) {
  IsaGuard guard;
  auto model = random_rgb_model(13, 4, "direct");
  const auto em = ardm::engine_model_of(model);
  const auto net = ardm::engine::make_net(em);
  const int64_t B = 5, D = model.num_values();
  const auto in = random_inputs(model, B, 9);
  ardm::engine::ThreadPool one(1), three(3);
  const auto all = net->forward({B, in.x.data(), in.known.data(), in.t.data(), in.stage.data()}, three);
  const size_t per = all.size() / B;
  for (Isa isa : runnable_isas()) {
    ardm::engine::set_isa(isa);
    for (int64_t b = 0; b < B; ++b) {
      const auto single = net->forward({1, in.x.data() + b * D, in.known.data() + b * D, &in.t[b], &in.stage[b]}, one);
      ASSERT_EQ(single.size(), per);
      EXPECT_EQ(std::memcmp(single.data(), all.data() + b * per, per * sizeof(float)), 0)
          << "item " << b << " on " << ardm::engine::isa_name(isa);
    }
  }
}

TEST(Engine, WantedOutputsAreTheSameBits) {
  auto model = random_model(17, 0, "matrix");
  const auto em = ardm::engine_model_of(model);
  const auto net = ardm::engine::make_net(em);
  const int64_t B = 3, D = model.num_values();
  const auto in = random_inputs(model, B, 4);
  ardm::engine::ThreadPool pool(2);
  const auto all = net->forward({B, in.x.data(), in.known.data(), in.t.data(), in.stage.data()}, pool);
  std::vector<uint8_t> wanted(static_cast<size_t>(B * D));
  for (size_t i = 0; i < wanted.size(); ++i) wanted[i] = i % 7 == 3;
  const auto some = net->forward({B, in.x.data(), in.known.data(), in.t.data(), in.stage.data(), wanted.data()}, pool);
  const size_t O = all.size() / wanted.size();
  for (size_t i = 0; i < wanted.size(); ++i)
    if (wanted[i]) {
      ASSERT_EQ(std::memcmp(all.data() + i * O, some.data() + i * O, O * sizeof(float)), 0) << i;
    }
}

TEST(Engine, ProcessRulesMatchLibTorch) {
  for (const auto& [b, param] : std::vector<std::pair<int64_t, std::string>>{
           {0, "matrix"}, {3, "direct"}, {3, "matrix"}, {16, "matrix"}, {16, "logistic"}, {3, "logistic"}}) {
    SCOPED_TRACE("upscale " + std::to_string(b) + " " + param);
    auto model = random_model(14, b, param);
    const ardm::engine::Rules rules(model.data(), model.model_cfg.process);
    ASSERT_EQ(rules.num_stages(), model.num_stages());
    ASSERT_EQ(rules.num_symbols(), model.process->num_symbols());
    const auto io = model.process->net_io();
    const auto shape = rules.net_io();
    EXPECT_EQ(shape.input_classes, io.input_classes);
    EXPECT_EQ(shape.outputs_per_value, io.outputs_per_value);
    EXPECT_EQ(shape.max_time, io.max_time);
    const int64_t D = model.num_values(), A = rules.num_symbols(), O = io.outputs_per_value;
    auto g = ardm::make_generator(5);
    auto x = torch::randint(256, {1, 1, 12, 12}, g, torch::kInt64);
    auto out = torch::randn({1, O, 1, 12, 12}, g) * 4;
    for (int64_t s = 0; s < rules.num_stages(); ++s) {
      const auto st = ardm::stage_tensor(1, s, torch::kCPU);
      const auto past = model.process->past(x, st), fut = model.process->future(x, st);
      const auto sym = model.process->symbol(past, fut, st);
      const auto logp = torch::log_softmax(model.process->symbol_logits(out, past, s), 1).reshape({A, D});
      const auto o = out.reshape({O, D}).t().contiguous();
      for (int64_t i = 0; i < D; ++i) {
        const int64_t v = x.view(-1)[i].item<int64_t>(), p = past.view(-1)[i].item<int64_t>();
        ASSERT_EQ(rules.past(v, s), p);
        ASSERT_EQ(rules.future(v, s), fut.view(-1)[i].item<int64_t>());
        ASSERT_EQ(rules.symbol(p, rules.future(v, s), s), sym.view(-1)[i].item<int64_t>());
        ASSERT_EQ(rules.value(p, rules.symbol(p, rules.future(v, s), s), s), rules.future(v, s));
        std::vector<double> w(static_cast<size_t>(A));
        rules.symbol_weights(o[i].data_ptr<float>(), p, s, w.data());
        double total = 0;
        for (double e : w) total += e;
        for (int64_t a = 0; a < A; ++a) {
          const double want = logp[a][i].item<float>();
          if (want < -50) continue;  // impossible digits: both ~ 0
          EXPECT_NEAR(std::log(w[static_cast<size_t>(a)] / total), want, 1e-4);
        }
      }
    }
  }
}

TEST(Engine, LogisticRulesMatchLibTorchInEveryTail) {
  // 16-bit values, b = 16: components from far wider than the whole range to a 37th of one
  // value's width, means inside and far outside the known bucket; the engine's digits must be
  // LibTorch's, and each stage's b probabilities must be the mixture's conditional masses.
  auto model = random_audio_model(44, 16, 64, 0, "logistic");
  const ardm::engine::Rules rules(model.data(), model.model_cfg.process);
  const int64_t D = 64, A = 16, O = model.process->net_io().outputs_per_value, M = O / 3;
  auto g = ardm::make_generator(6);
  auto x = torch::randint(65536, {1, D}, g, torch::kInt64);
  x.index_put_({0, 0}, 0), x.index_put_({0, 1}, 65535);  // the outer buckets' infinite edges
  auto out = torch::randn({1, O, D}, g);
  const auto y = x.to(torch::kFloat32) * (2.0 / 65536) - 1;
  auto mu = out.narrow(1, M, M);
  mu.copy_(y.unsqueeze(1) + torch::randn({1, M, D}, g) * torch::pow(10.0, torch::randint(-6, 1, {1, M, D}, g)));
  out.narrow(1, 2 * M, M).copy_(torch::randint(-16, 4, {1, M, D}, g).to(torch::kFloat32));
  for (int64_t s = 0; s < rules.num_stages(); ++s) {
    const auto st = ardm::stage_tensor(1, s, torch::kCPU);
    const auto past = model.process->past(x, st);
    const auto logp = torch::log_softmax(model.process->symbol_logits(out, past, s), 1).reshape({A, D});
    ASSERT_TRUE(torch::isfinite(logp).all().item<bool>()) << "stage " << s;
    const auto o = out.reshape({O, D}).t().contiguous();
    for (int64_t i = 0; i < D; ++i) {
      const int64_t p = past.view(-1)[i].item<int64_t>();
      std::vector<double> w(static_cast<size_t>(A));
      rules.symbol_weights(o[i].data_ptr<float>(), p, s, w.data());
      double total = 0;
      for (double e : w) total += e;
      for (int64_t a = 0; a < A; ++a) {
        const double want = logp[a][i].item<float>(), got = std::log(w[static_cast<size_t>(a)] / total);
        if (want < -30 && got < -30) continue;  // both negligible
        EXPECT_NEAR(got, want, 2e-3 + 1e-3 * std::fabs(want)) << "stage " << s << " value " << i << " digit " << a;
      }
    }
  }
  // Sharp components centred on a value put nearly all of their mass on that value's digits.
  auto sharp = torch::zeros({1, O, 1});
  const int64_t v = 12345;
  sharp.narrow(1, M, M).fill_(static_cast<float>(v * 2.0 / 65536 - 1));
  sharp.narrow(1, 2 * M, M).fill_(-14);
  for (int64_t s = 0; s < rules.num_stages(); ++s) {
    std::vector<double> w(static_cast<size_t>(A));
    const int64_t p = rules.past(v, s);
    rules.symbol_weights(sharp.data_ptr<float>(), p, s, w.data());
    double total = 0;
    for (double e : w) total += e;
    EXPECT_GT(w[static_cast<size_t>(rules.symbol(p, rules.future(v, s), s))] / total, 0.9) << "stage " << s;
  }
}

TEST(Engine, ModelFileRoundTripsAndRejectsDamage) {
  auto model = random_model(16, 4, "direct");
  auto em = ardm::engine_model_of(model);
  const auto bytes = ardm::engine::serialize(em);
  const auto back = ardm::engine::parse_model(bytes.data(), bytes.size(), "m");
  EXPECT_EQ(back.fingerprint, em.fingerprint);
  EXPECT_EQ(back.orders, em.orders);
  EXPECT_EQ(back.costs, em.costs);
  EXPECT_EQ(back.params.size(), em.params.size());
  for (const auto& [name, p] : em.params) EXPECT_EQ(back.params.at(name).values, p.values) << name;
  // Every truncation, and flips spread over the file, are refused.
  for (size_t n = 0; n < bytes.size(); n += 1 + n / 3)
    EXPECT_THROW(ardm::engine::parse_model(bytes.data(), n, "m"), std::runtime_error) << n;
  for (size_t i = 0; i < bytes.size(); i += 1 + bytes.size() / 300) {
    auto bad = bytes;
    bad[i] ^= static_cast<uint8_t>(1u << (i % 8));
    EXPECT_THROW(ardm::engine::parse_model(bad.data(), bad.size(), "m"), std::runtime_error) << i;
  }
  // Another order seed is another model.
  model.objective_cfg.order_seed = 1;
  EXPECT_NE(ardm::engine_model_of(model).fingerprint, em.fingerprint);
}


TEST(Engine, TransformerMatchesLibTorch) {
  auto model = random_text_model(31);
  expect_twin_outputs(model, 3);
}

namespace {

// One item alone on one thread gives the bits of the same item in a batch on three threads,
// on every instruction set; so do the wanted outputs when only some are asked for.
void expect_same_bits_any_batch(ardm::Model& model, uint64_t seed) {
  IsaGuard guard;
  const auto em = ardm::engine_model_of(model);
  const auto net = ardm::engine::make_net(em);
  const int64_t B = 4, D = model.num_values();
  const auto in = random_inputs(model, B, seed);
  ardm::engine::ThreadPool one(1), three(3);
  const auto all = net->forward({B, in.x.data(), in.known.data(), in.t.data(), in.stage.data()}, three);
  const size_t per = all.size() / B;
  std::vector<uint8_t> wanted(static_cast<size_t>(D));
  for (size_t i = 0; i < wanted.size(); ++i) wanted[i] = i % 5 == 1;
  for (Isa isa : runnable_isas()) {
    ardm::engine::set_isa(isa);
    for (int64_t b = 0; b < B; ++b) {
      const auto single = net->forward({1, in.x.data() + b * D, in.known.data() + b * D, &in.t[b], &in.stage[b]}, one);
      ASSERT_EQ(std::memcmp(single.data(), all.data() + b * per, per * sizeof(float)), 0)
          << "item " << b << " on " << ardm::engine::isa_name(isa);
      const auto some = net->forward(
          {1, in.x.data() + b * D, in.known.data() + b * D, &in.t[b], &in.stage[b], wanted.data()}, one);
      const size_t O = per / static_cast<size_t>(D);
      for (size_t i = 0; i < wanted.size(); ++i)
        if (wanted[i]) {
          ASSERT_EQ(std::memcmp(some.data() + i * O, single.data() + i * O, O * sizeof(float)), 0);
        }
    }
  }
}

}  // namespace

TEST(Engine, TransformerIsTheSameBitsForAnyBatchThreadsAndIsa) {
  auto model = random_text_model(32);
  expect_same_bits_any_batch(model, 3);
}


namespace {

// A batch of B items of the model with contexts of every kind (none, some, all, some), the
// engine's outputs on three threads checked against LibTorch's forward_in_context, and that the
// absent context values do not matter while the present ones do.
struct ContextCase {
  int64_t B = 4, C = 0, N = 0;
  Inputs in;
  std::vector<int64_t> length;
  std::vector<int32_t> ctx;
  std::vector<float> got;  // [B, N, O]
  ardm::engine::NetBatch batch() const {
    ardm::engine::NetBatch b{B, in.x.data(), in.known.data(), in.t.data(), in.stage.data()};
    b.context = ctx.data(), b.context_length = length.data();
    return b;
  }
  ardm::engine::NetBatch item(int64_t b) const {
    ardm::engine::NetBatch one{1, in.x.data() + b * N, in.known.data() + b * N, &in.t[b], &in.stage[b]};
    one.context = ctx.data() + b * C, one.context_length = &length[static_cast<size_t>(b)];
    return one;
  }
};

ContextCase expect_context_twin(ardm::Model& model, const ardm::engine::Net& net, int64_t classes) {
  ContextCase k;
  k.C = model.data().context, k.N = model.num_values();
  const int64_t B = k.B, C = k.C, N = k.N;
  k.in = random_inputs(model, B, 5);
  k.length = {0, 3, C, 6};
  auto g = ardm::make_generator(9);
  const auto ctx_t = torch::randint(classes, {B, C}, g, torch::kInt64);
  for (int64_t i = 0; i < B * C; ++i) k.ctx.push_back(static_cast<int32_t>(ctx_t.view(-1)[i].item<int64_t>()));
  ardm::engine::ThreadPool three(3);
  k.got = net.forward(k.batch(), three);

  // LibTorch: the same items in context, [B, O, N] -> [B, N, O].
  std::vector<float> want;
  {
    torch::NoGradGuard ng;
    model.ema->eval();
    std::vector<int64_t> x(k.in.x.begin(), k.in.x.end());
    auto xt = torch::tensor(x).view({B, N});
    auto known = torch::tensor(std::vector<int64_t>(k.in.known.begin(), k.in.known.end())).view({B, N}).to(torch::kBool);
    auto out = model.ema->forward_in_context(xt, known, torch::tensor(k.in.t), torch::tensor(k.in.stage),
                                             {ctx_t, torch::tensor(k.length)});
    auto o = out.permute({0, 2, 1}).contiguous();
    want.assign(o.data_ptr<float>(), o.data_ptr<float>() + o.numel());
  }
  EXPECT_EQ(k.got.size(), want.size());
  double max_err = 0, max_abs = 0;
  for (size_t i = 0; i < k.got.size() && i < want.size(); ++i) {
    max_err = std::max(max_err, std::fabs(static_cast<double>(k.got[i]) - want[i]));
    max_abs = std::max(max_abs, std::fabs(static_cast<double>(want[i])));
  }
  EXPECT_GT(max_abs, 1.0);
  EXPECT_LT(max_err, 2e-4 * max_abs) << "largest output " << max_abs;

  // The absent context values do not matter; the present ones do.
  auto batch = k.batch();
  auto other = k.ctx;
  other[1 * C + 0] ^= 1;  // item 1: position 0 is absent (only the last 3 are there)
  batch.context = other.data();
  EXPECT_EQ(net.forward(batch, three), k.got);
  other[1 * C + C - 1] ^= 1;  // ... position C - 1 is present
  const auto changed = net.forward(batch, three);
  const size_t per = k.got.size() / B;
  EXPECT_NE(std::memcmp(changed.data() + per, k.got.data() + per, per * sizeof(float)), 0);
  return k;
}

}  // namespace

TEST(Engine, TransformerWithContextMatchesLibTorchAndKeepsItsBits) {
  IsaGuard guard;
  auto model = random_text_model(33, 10, 7);
  const auto net = ardm::engine::make_net(ardm::engine_model_of(model));
  const auto k = expect_context_twin(model, *net, 256);
  const size_t per = k.got.size() / k.B;

  // The context computed once (begin) gives the same bits, item by item on one thread, on
  // every instruction set.
  ardm::engine::ThreadPool one(1);
  for (Isa isa : runnable_isas()) {
    ardm::engine::set_isa(isa);
    for (int64_t b = 0; b < k.B; ++b) {
      auto single = k.item(b);
      const auto state = net->begin(single, one);
      single.state = state.get();
      const auto o = net->forward(single, one);
      ASSERT_EQ(std::memcmp(o.data(), k.got.data() + b * per, per * sizeof(float)), 0)
          << "item " << b << " on " << ardm::engine::isa_name(isa);
    }
  }
}

TEST(Engine, DiffWaveWithContextMatchesLibTorchAndKeepsItsBits) {
  // A network that runs over the context and the item: the batch's longest context decides how
  // many positions it computes, so an item alone (a shorter run) must give the same bits.
  IsaGuard guard;
  for (int64_t b : {16, 2, 0}) {  // 0: b = 16, logistic, with the linear prediction head
    SCOPED_TRACE("b = " + std::to_string(b));
    auto model = b ? random_audio_model(43, b, 12, 9) : random_audio_model(43, 16, 12, 9, "logistic", 4);
    const auto net = ardm::engine::make_net(ardm::engine_model_of(model));
    const auto k = expect_context_twin(model, *net, 65536);
    const size_t per = k.got.size() / k.B;
    ardm::engine::ThreadPool one(1);
    for (Isa isa : runnable_isas()) {
      ardm::engine::set_isa(isa);
      for (int64_t i = 0; i < k.B; ++i) {
        const auto o = net->forward(k.item(i), one);
        ASSERT_EQ(std::memcmp(o.data(), k.got.data() + i * per, per * sizeof(float)), 0)
            << "item " << i << " on " << ardm::engine::isa_name(isa);
      }
    }
    // With a context, the network's forward without one is the item with none before it.
    auto none = k.item(0);
    none.context = nullptr, none.context_length = nullptr;
    EXPECT_EQ(std::memcmp(net->forward(none, one).data(), k.got.data(), per * sizeof(float)), 0);
  }
}

TEST(Engine, DiffWaveMatchesLibTorch) {
  for (int64_t b : {16, 2}) {
    SCOPED_TRACE("b = " + std::to_string(b));
    auto model = random_audio_model(41, b);
    expect_twin_outputs(model, 3);
  }
  SCOPED_TRACE("logistic, linear prediction head");
  auto model = random_audio_model(41, 16, 40, 0, "logistic", 3);
  expect_twin_outputs(model, 3);
}

TEST(Engine, DiffWaveIsTheSameBitsForAnyBatchThreadsAndIsa) {
  auto model = random_audio_model(42, 16);
  expect_same_bits_any_batch(model, 5);
  auto head = random_audio_model(42, 16, 40, 0, "logistic", 3);
  expect_same_bits_any_batch(head, 5);
}

TEST(Engine, AudioBudgetsStayCheapForLongClips) {
  // Clips of 8,000 samples in 16 stages (b = 2): the policies of the largest budget a file may
  // ask (1,024 calls) come from tables of costs only (O(S * T) memory, no parent tables),
  // built in O(S * B * T) operations, not the oracle's O(S * B * T^2).
  const int64_t S = 16, T = 8000, B = 1024;
  std::vector<std::vector<double>> costs(S);
  for (int64_t s = 0; s < S; ++s)
    for (int64_t i = 0; i < T; ++i) costs[static_cast<size_t>(s)].push_back(1.0 / (1.0 + static_cast<double>(i + 37 * s) / 500.0));
  const auto tab = ardm::optimal_staged_schedules(costs, B);
  for (const auto& st : tab.stages) EXPECT_TRUE(st.parent.empty());
  const int64_t cap = B - (S - 1);  // the most calls one stage can get
  EXPECT_LE(tab.work, 3 * S * cap * T + S * (B + 1) * cap);
  EXPECT_GE(tab.work, S * cap * T);  // every step of every row was visited
  const auto pol = tab.policies(B);
  int64_t calls = 0;
  double cost = 0;
  for (size_t s = 0; s < pol.size(); ++s) {
    calls += static_cast<int64_t>(pol[s].size());
    cost += ardm::policy_cost(tab.stages[s].costs, pol[s]);
  }
  EXPECT_EQ(calls, B);
  EXPECT_NEAR(cost, tab.best_cost[static_cast<size_t>(B)], 1e-9 * cost);
  // The count tells the two solvers apart: on 300 steps the oracle does T (T + 1) / 2 per row.
  const std::vector<double> short_costs(costs[0].begin(), costs[0].begin() + 300);
  const auto fast = ardm::optimal_schedules(short_costs, 20), ref = ardm::optimal_schedules_reference(short_costs, 20);
  EXPECT_LE(fast.work, 3 * 20 * 300);
  EXPECT_EQ(ref.work, 20 * 300 * 301 / 2);
  for (int64_t k = 1; k <= 20; ++k) EXPECT_NEAR(fast.best_cost[static_cast<size_t>(k)], ref.best_cost[static_cast<size_t>(k)], 1e-12);
}
