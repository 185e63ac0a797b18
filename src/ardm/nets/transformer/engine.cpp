// The text Transformer (nets/transformer.cpp) in the engine: the same layers, names and order.
// Activations are Acts of B x 1 x L rows of `width` floats.
//
// With a context (C values before each item): begin() runs the context's present rows through
// the blocks once (they see only each other, with no time input) and keeps each block's keys
// and values of them; every step's forward then runs the item's N rows alone, their attention
// reading the kept keys and values. Row for row the same sums as running all C + N rows.
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

// The context of a batch: its lengths and, per block, the qkv rows of its C positions per item
// ([B * C, 3W]; only the present ones, the last length[b] of item b, are computed and read).
struct ContextState : NetState {
  int64_t batch = 0;
  std::vector<int64_t> length;
  std::vector<Act> qkv;
};

class Transformer : public Net {
 public:
  Transformer(const EngineModel& m, NetIO io) : Net(std::move(io)) {
    const auto& cfg = m.cfg.net.transformer;
    nets::transformer::validate(cfg, shape_);
    L_ = shape_.data_shape[0];
    C_ = shape_.context;
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
    const int64_t P = C_ + L_;  // positions: the context's, then the item's
    for (int64_t h = 0; h < heads_; ++h) {
      const auto slope = static_cast<float>(-nets::transformer::distance_slope(h, heads_));
      for (int64_t d = 0; d < P; ++d) dist_bias_.push_back(static_cast<float>(d) * slope);
    }
    out_norm_ = load_layer_norm(m, "out_norm", W_);
    out_ = load_dense(m, "out", W_, shape_.outputs_per_value, false);
    // Position codes as nets::position_codes makes them: in double, then rounded to float.
    const int64_t half = W_ / 2;
    pos_.resize(static_cast<size_t>(P * W_));
    const double step = -log_d(10000.0) / static_cast<double>(std::max<int64_t>(half - 1, 1));
    for (int64_t i = 0; i < half; ++i) {
      const double freq = exp_d(static_cast<double>(i) * step);
      for (int64_t p = 0; p < P; ++p) {
        const double arg = static_cast<double>(p) * freq;
        pos_[static_cast<size_t>(p * W_ + i)] = static_cast<float>(sin_d(arg));
        pos_[static_cast<size_t>(p * W_ + half + i)] = static_cast<float>(cos_d(arg));
      }
    }
  }

  std::unique_ptr<NetState> begin(const NetBatch& in, ThreadPool& pool) const override {
    if (C_ == 0) return nullptr;
    const int64_t B = in.batch, C = C_, W = W_;
    auto st = std::make_unique<ContextState>();
    st->batch = B;
    st->length.assign(static_cast<size_t>(B), 0);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t n = in.context_length ? in.context_length[b] : 0;
      if (n < 0 || n > C) throw std::invalid_argument("context length out of range");
      if (n > 0 && in.context == nullptr) throw std::invalid_argument("context lengths without a context");
      st->length[static_cast<size_t>(b)] = n;
    }
    // h = (token + position) + state "known, last stage", at the present rows (others stay 0).
    const int64_t known_state = 1 + 2 * (shape_.num_stages - 1);
    Act h(B, 1, C, W);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t p = C - st->length[static_cast<size_t>(b)]; p < C; ++p) {
        const int32_t v = in.context[b * C + p];
        if (v < 0 || v >= shape_.input_classes) throw std::invalid_argument("context class out of range");
        const float* tk = tok_.data() + v * W;
        const float* ps = pos_.data() + p * W;
        const float* se = state_.data() + known_state * W;
        float* r = h.row(b * C + p);
        for (int64_t c = 0; c < W; ++c) r[c] = (tk[c] + ps[c]) + se[c];
      }
    for (size_t l = 0; l < blocks_.size(); ++l) {
      const Block& blk = blocks_[l];
      st->qkv.push_back(dense(blk.qkv, layer_norm(blk.ln1, h, pool), pool));
      if (l + 1 == blocks_.size()) break;  // the last block's outputs of the context are never read
      Act a(B, 1, C, W);
      attend(&st->qkv.back(), nullptr, st.get(), a, /*item_rows=*/false, pool);
      Act x = dense(blk.proj, a, pool);
      add_inplace(x, h, pool);
      Act m = dense(blk.fc1, layer_norm(blk.ln2, x, pool), pool);
      add_rows_gelu(m, Act(B, 1, 1, m.c), C, pool);  // no time input: gelu(fc1(...) + 0)
      Act y = dense(blk.fc2, m, pool);
      add_inplace(y, x, pool);
      h = std::move(y);
    }
    return st;
  }

  std::vector<float> forward(const NetBatch& in, ThreadPool& pool) const override {
    const int64_t B = in.batch, L = L_, W = W_, O = shape_.outputs_per_value;
    std::unique_ptr<NetState> own;
    const ContextState* ctx = nullptr;
    if (C_ > 0) {
      if (in.state == nullptr) own = begin(in, pool);
      ctx = dynamic_cast<const ContextState*>(own ? own.get() : in.state);
      if (ctx == nullptr || ctx->batch != B) throw std::invalid_argument("the context state is not this batch's");
    }
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
        const float* ps = pos_.data() + (C_ + p) * W;
        const float* se = state_.data() + st * W;
        float* r = h.row(b * L + p);
        for (int64_t c = 0; c < W; ++c) r[c] = (tk[c] + ps[c]) + se[c];
      }
    });
    for (size_t l = 0; l < blocks_.size(); ++l) h = block_forward(blocks_[l], l, h, temb_act, ctx, pool);

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
  // Attention of one block into `a`. item_rows: the queries are the item's L rows of item_qkv
  // [B * L, 3W], the keys the present context rows of ctx_qkv [B * C, 3W] (if any) then the
  // item's; else queries and keys are the present context rows alone.
  void attend(const Act* ctx_qkv, const Act* item_qkv, const ContextState* ctx, Act& a, bool item_rows,
                   ThreadPool& pool) const {
    const int64_t W = W_, hd = W / heads_, C = C_, L = L_, B = a.n;
    const int64_t P = C_ + L_;
    const float scale = static_cast<float>(std::sqrt(static_cast<double>(hd)));
    pool.parallel_for(B * heads_, [&](int64_t job, int) {
      const int64_t b = job / heads_, hh = job % heads_;
      const int64_t c = ctx ? ctx->length[static_cast<size_t>(b)] : 0;  // present context rows
      const int64_t nq = item_rows ? L : c, nk = item_rows ? c + L : c;
      if (nq == 0) return;
      std::vector<float> q(static_cast<size_t>(nq * hd)), k(static_cast<size_t>(nk * hd)), vt(static_cast<size_t>(hd * nk));
      auto key_row = [&](int64_t j) -> const float* {  // key j: context rows C - c.., then the item's
        return j < c ? ctx_qkv->row(b * C + C - c + j) : item_qkv->row(b * L + j - c);
      };
      for (int64_t j = 0; j < nk; ++j) {
        const float* r = key_row(j);
        for (int64_t e = 0; e < hd; ++e) {
          k[static_cast<size_t>(j * hd + e)] = r[W + hh * hd + e];
          vt[static_cast<size_t>(e * nk + j)] = r[2 * W + hh * hd + e];
        }
      }
      for (int64_t i = 0; i < nq; ++i) {
        const float* r = item_rows ? item_qkv->row(b * L + i) : ctx_qkv->row(b * C + C - c + i);
        for (int64_t e = 0; e < hd; ++e) q[static_cast<size_t>(i * hd + e)] = r[hh * hd + e];
      }
      std::vector<float> s(static_cast<size_t>(nq * nk));
      dense_rows(make_dense(k.data(), nullptr, nk, hd), q.data(), hd, nq, s.data(), nk);
      // Query i sits at key column (item_rows ? c : 0) + i: distances count positions.
      softmax_rows(s.data(), nq, nk, scale, dist_bias_.data() + hh * P, item_rows ? c : 0);
      std::vector<float> o(static_cast<size_t>(nq * hd));
      dense_rows(make_dense(vt.data(), nullptr, hd, nk), s.data(), nk, nq, o.data(), hd);
      for (int64_t i = 0; i < nq; ++i) {
        float* dst = item_rows ? a.row(b * L + i) : a.row(b * C + C - c + i);
        std::copy_n(o.data() + i * hd, hd, dst + hh * hd);
      }
    });
  }

  Act block_forward(const Block& blk, size_t layer, const Act& h, const Act& temb_act, const ContextState* ctx,
                    ThreadPool& pool) const {
    const int64_t B = h.n, L = L_, W = W_;
    const Act qkv = dense(blk.qkv, layer_norm(blk.ln1, h, pool), pool);  // [B, L, 3W]: q, k, v, head-major
    Act a(B, 1, L, W);
    attend(ctx ? &ctx->qkv[layer] : nullptr, &qkv, ctx, a, /*item_rows=*/true, pool);
    Act x = dense(blk.proj, a, pool);
    add_inplace(x, h, pool);  // h + proj(a)
    Act m = dense(blk.fc1, layer_norm(blk.ln2, x, pool), pool);
    const Act tp = dense(blk.temb_proj, temb_act, pool);  // [B, mlp]
    add_rows_gelu(m, tp, L, pool);
    Act y = dense(blk.fc2, m, pool);
    add_inplace(y, x, pool);  // x + fc2(...)
    return y;
  }

  int64_t L_ = 0, C_ = 0, W_ = 0, heads_ = 1;
  std::vector<float> tok_, state_, pos_;  // [K_in, W], [2S, W], [C + L, W]
  std::vector<float> dist_bias_;         // [heads, C + L]: by distance |i - j|
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
