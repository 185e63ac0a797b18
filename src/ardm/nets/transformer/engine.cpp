// The text Transformer (nets/transformer.cpp) in the engine: the same layers, names and order.
// Activations are Acts of B x 1 x L rows of `width` floats.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ardm/engine/math.h"
#include "ardm/engine/net.h"
#include "ardm/engine/weights.h"

namespace ardm::engine {
namespace {

struct Block {
  LayerNorm ln1, ln2;
  Dense qkv, proj, fc1, fc2, temb_proj;
};

class Transformer : public Net {
 public:
  Transformer(const EngineModel& m, NetIO io) : Net(std::move(io)) {
    const auto& cfg = m.cfg.net.transformer;
    nets::transformer::validate(cfg, shape_);
    L_ = shape_.data_shape[0];
    W_ = cfg.width;
    heads_ = cfg.heads;
    tok_ = m.param("tok_embed.weight", {shape_.input_classes, W_}).values;
    state_ = m.param("state_embed.weight", {2 * shape_.num_stages, W_}).values;
    temb1_ = load_dense(m, "temb1", W_, W_, false);
    temb2_ = load_dense(m, "temb2", W_, W_, false);
    for (int64_t i = 0; i < cfg.layers; ++i) {
      const std::string n = nets::transformer::block(i);
      Block b;
      b.ln1 = load_layer_norm(m, n + ".ln1", W_);
      b.qkv = load_dense(m, n + ".qkv", W_, 3 * W_, false);
      b.proj = load_dense(m, n + ".proj", W_, W_, false);
      b.ln2 = load_layer_norm(m, n + ".ln2", W_);
      b.fc1 = load_dense(m, n + ".fc1", W_, cfg.mlp, false);
      b.temb_proj = load_dense(m, n + ".temb_proj", W_, cfg.mlp, false);
      b.fc2 = load_dense(m, n + ".fc2", cfg.mlp, W_, false);
      blocks_.push_back(std::move(b));
    }
    // The distance bias of nets::distance_bias: float(-slope) * float(|i - j|), slope 2^(-8 (h+1) / heads).
    for (int64_t h = 0; h < heads_; ++h) {
      const auto slope = static_cast<float>(-nets::transformer::distance_slope(h, heads_));
      for (int64_t d = 0; d < L_; ++d) dist_bias_.push_back(static_cast<float>(d) * slope);
    }
    out_norm_ = load_layer_norm(m, "out_norm", W_);
    out_ = load_dense(m, "out", W_, shape_.outputs_per_value, false);
    // Position codes as nets::position_codes makes them: in double, then rounded to float.
    const int64_t half = W_ / 2;
    pos_.resize(static_cast<size_t>(L_ * W_));
    const double step = -log_d(10000.0) / static_cast<double>(std::max<int64_t>(half - 1, 1));
    for (int64_t i = 0; i < half; ++i) {
      const double freq = exp_d(static_cast<double>(i) * step);
      for (int64_t p = 0; p < L_; ++p) {
        const double arg = static_cast<double>(p) * freq;
        pos_[static_cast<size_t>(p * W_ + i)] = static_cast<float>(sin_d(arg));
        pos_[static_cast<size_t>(p * W_ + half + i)] = static_cast<float>(cos_d(arg));
      }
    }
  }

  std::vector<float> forward(const NetBatch& in, ThreadPool& pool) const override {
    const int64_t B = in.batch, L = L_, W = W_, O = shape_.outputs_per_value;
    // Time embedding: [B, W], swish applied once for every block's projection.
    Act ts(B, 1, 1, W);
    for (int64_t b = 0; b < B; ++b) {
      if (in.stage[b] < 0 || in.stage[b] >= shape_.num_stages) throw std::invalid_argument("stage out of range");
      const float t = static_cast<float>(in.t[b]) * static_cast<float>(1000.0 / static_cast<double>(shape_.max_time));
      const auto row = timestep_embedding(t, W);
      std::copy(row.begin(), row.end(), ts.row(b));
    }
    const Act temb_act = swish(dense(temb2_, swish(dense(temb1_, ts, pool)), pool));

    // h = (token + position) + state, in torch's order of additions.
    Act h(B, 1, L, W);
    pool.parallel_for(B, [&](int64_t b, int) {
      for (int64_t p = 0; p < L; ++p) {
        const int32_t v = in.x[b * L + p];
        if (v < 0 || v >= shape_.input_classes) throw std::invalid_argument("input class out of range");
        const int64_t st = (in.known[b * L + p] ? 1 : 0) + 2 * in.stage[b];
        const float* tk = tok_.data() + v * W;
        const float* ps = pos_.data() + p * W;
        const float* se = state_.data() + st * W;
        float* r = h.row(b * L + p);
        for (int64_t c = 0; c < W; ++c) r[c] = (tk[c] + ps[c]) + se[c];
      }
    });
    for (const auto& blk : blocks_) h = block_forward(blk, h, temb_act, pool);

    // The output layer at the wanted positions only.
    std::vector<int64_t> rows;
    for (int64_t r = 0; r < B * L; ++r)
      if (in.wanted == nullptr || in.wanted[r]) rows.push_back(r);
    Act sel(1, 1, static_cast<int64_t>(rows.size()), W);
    for (size_t i = 0; i < rows.size(); ++i) std::copy_n(h.row(rows[i]), W, sel.row(static_cast<int64_t>(i)));
    const Act o = dense(out_, layer_norm(out_norm_, sel, pool), pool);
    std::vector<float> out(static_cast<size_t>(B * L * O));
    for (size_t i = 0; i < rows.size(); ++i) std::copy_n(o.row(static_cast<int64_t>(i)), O, out.data() + rows[i] * O);
    return out;
  }

 private:
  Act block_forward(const Block& blk, const Act& h, const Act& temb_act, ThreadPool& pool) const {
    const int64_t B = h.n, L = L_, W = W_, hd = W / heads_;
    const Act qkv = dense(blk.qkv, layer_norm(blk.ln1, h, pool), pool);  // [B, L, 3W]: q, k, v, head-major
    const float scale = static_cast<float>(std::sqrt(static_cast<double>(hd)));
    Act a(B, 1, L, W);
    pool.parallel_for(B * heads_, [&](int64_t job, int) {
      const int64_t b = job / heads_, hh = job % heads_;
      std::vector<float> q(static_cast<size_t>(L * hd)), k(static_cast<size_t>(L * hd)), vt(static_cast<size_t>(hd * L));
      for (int64_t i = 0; i < L; ++i) {
        const float* r = qkv.row(b * L + i);
        for (int64_t c = 0; c < hd; ++c) {
          q[static_cast<size_t>(i * hd + c)] = r[hh * hd + c];
          k[static_cast<size_t>(i * hd + c)] = r[W + hh * hd + c];
          vt[static_cast<size_t>(c * L + i)] = r[2 * W + hh * hd + c];
        }
      }
      std::vector<float> s(static_cast<size_t>(L * L));
      dense_rows(make_dense(k.data(), nullptr, L, hd), q.data(), hd, L, s.data(), L);
      softmax_rows(s.data(), L, L, scale, dist_bias_.data() + hh * L);
      std::vector<float> o(static_cast<size_t>(L * hd));
      dense_rows(make_dense(vt.data(), nullptr, hd, L), s.data(), L, L, o.data(), hd);
      for (int64_t i = 0; i < L; ++i) std::copy_n(o.data() + i * hd, hd, a.row(b * L + i) + hh * hd);
    });
    Act x = dense(blk.proj, a, pool);
    add_inplace(x, h, pool);  // h + proj(a)
    Act m = dense(blk.fc1, layer_norm(blk.ln2, x, pool), pool);
    const Act tp = dense(blk.temb_proj, temb_act, pool);  // [B, mlp]
    add_rows_gelu(m, tp, L, pool);
    Act y = dense(blk.fc2, m, pool);
    add_inplace(y, x, pool);  // x + fc2(...)
    return y;
  }

  int64_t L_ = 0, W_ = 0, heads_ = 1;
  std::vector<float> tok_, state_, pos_;  // [K_in, W], [2S, W], [L, W]
  std::vector<float> dist_bias_;         // [heads, L]: by distance |i - j|
  Dense temb1_, temb2_;
  std::vector<Block> blocks_;
  LayerNorm out_norm_;
  Dense out_;
};

}  // namespace

std::unique_ptr<Net> make_transformer(const EngineModel& model, NetIO shape) {
  return std::make_unique<Transformer>(model, std::move(shape));
}

}  // namespace ardm::engine
