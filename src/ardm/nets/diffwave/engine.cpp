// The audio DiffWave (nets/diffwave.cpp) in the engine: the same layers, names and order, on
// Acts of B x 1 x P rows of channels. tanh and sigmoid are built from exp_f (math.h).
// With a context, P = c + L for the longest context c of the batch: the positions before it are
// absent from every item, and a convolution's padding is the zeros the network would see there.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ardm/engine/math.h"
#include "ardm/engine/net.h"
#include "ardm/engine/weights.h"

namespace ardm::engine {
namespace {

struct Block {
  Dense temb_proj;
  Conv1d dilated, out;
};

class DiffWave : public Net {
 public:
  DiffWave(const EngineModel& m, NetIO io) : Net(std::move(io)) {
    const auto& cfg = m.cfg.net.diffwave;
    nets::diffwave::validate(cfg, shape_);
    L_ = shape_.data_shape[0];
    F_ = cfg.width;
    mask_ch_ = nets::diffwave::mask_channels(shape_);
    in_conv_ = load_conv1d(m, "in_conv", 1 + mask_ch_, nets::diffwave::conv_channels(F_), 3);
    embed_ = m.param("embed.weight", {shape_.input_classes, nets::diffwave::embed_channels(F_)}).values;
    embed_proj_ = load_dense(m, "embed_proj", nets::diffwave::embed_channels(F_), nets::diffwave::embed_channels(F_), false);
    temb1_ = load_dense(m, "temb1", F_, 4 * F_, false);
    temb2_ = load_dense(m, "temb2", 4 * F_, 4 * F_, false);
    for (int64_t i = 0; i < cfg.layers; ++i) {
      const std::string n = nets::diffwave::block(i);
      Block b;
      b.temb_proj = load_dense(m, n + ".temb_proj", 4 * F_, F_, false);
      b.dilated = load_conv1d(m, n + ".dilated", F_, 2 * F_, 3, nets::diffwave::dilation(i, cfg.cycle));
      b.out = load_conv1d(m, n + ".out", F_, 2 * F_, 1);
      blocks_.push_back(std::move(b));
    }
    skip_conv_ = load_conv1d(m, "skip_conv", F_, F_, 1);
    out_conv_ = load_conv1d(m, "out_conv", F_, shape_.outputs_per_value, 1);
    R_ = cfg.taps;
    if (R_ > 0) predict_ = load_conv1d(m, "predict", F_, nets::diffwave::head_weights(cfg), 1);
  }

  std::vector<float> forward(const NetBatch& in, ThreadPool& pool) const override {
    const int64_t B = in.batch, L = L_, F = F_, O = shape_.outputs_per_value, S = shape_.num_stages;
    const int64_t C = shape_.context, ctx_ch = nets::diffwave::context_channels(shape_);
    Act ts(B, 1, 1, F);
    for (int64_t b = 0; b < B; ++b) {
      if (in.stage[b] < 0 || in.stage[b] >= S) throw std::invalid_argument("stage out of range");
      const float t = static_cast<float>(in.t[b]) * static_cast<float>(1000.0 / static_cast<double>(shape_.max_time));
      const auto row = timestep_embedding(t, F);
      std::copy(row.begin(), row.end(), ts.row(b));
    }
    const Act temb = swish(dense(temb2_, swish(dense(temb1_, ts, pool)), pool));  // [B, 4F]

    // The context: item b has n[b] samples before it, at positions c - n[b] .. c - 1.
    std::vector<int64_t> n(static_cast<size_t>(B), 0);
    int64_t c = 0;
    for (int64_t b = 0; b < B && C > 0; ++b) {
      n[b] = in.context_length ? in.context_length[b] : 0;
      if (n[b] < 0 || n[b] > C) throw std::invalid_argument("context length out of range");
      if (n[b] > 0 && in.context == nullptr) throw std::invalid_argument("context lengths without a context");
      c = std::max(c, n[b]);
    }
    const int64_t P = c + L;
    auto absent = [&](int64_t b, int64_t p) { return p < c - n[b]; };

    // Input channels: x * 2 / K_in - 1, known, whether of the context, the stage's one-hot.
    const float scale = static_cast<float>(2.0 / static_cast<double>(shape_.input_classes));
    const int64_t stage_at = 2 + ctx_ch;
    Act chans(B, 1, P, 1 + mask_ch_);
    Act emb(B, 1, P, F / 4);
    pool.parallel_for(B, [&](int64_t b, int) {
      for (int64_t p = 0; p < P; ++p) {
        float* r = chans.row(b * P + p);
        if (absent(b, p)) continue;  // zero: the convolution's padding
        const bool ctx = p < c;
        const int32_t v = ctx ? in.context[b * C + C - c + p] : in.x[b * L + p - c];
        if (v < 0 || v >= shape_.input_classes)
          throw std::invalid_argument(ctx ? "context class out of range" : "input class out of range");
        r[0] = static_cast<float>(v) * scale - 1.0f;
        r[1] = ctx || in.known[b * L + p - c] ? 1.0f : 0.0f;
        if (ctx_ch) r[2] = ctx ? 1.0f : 0.0f;
        for (int64_t s = 0; s + stage_at < 1 + mask_ch_; ++s) r[stage_at + s] = s == in.stage[b] ? 1.0f : 0.0f;
        std::copy_n(embed_.data() + v * (F / 4), F / 4, emb.row(b * P + p));
      }
    });
    Act x = concat(conv1d(in_conv_, chans, pool), dense(embed_proj_, emb, pool), pool);
    for (auto& v : x.v) v = v > 0.0f ? v : 0.0f;

    Act skip;
    const float inv_sqrt2 = static_cast<float>(M_SQRT1_2);
    for (const auto& blk : blocks_) {
      const Act tp = dense(blk.temb_proj, temb, pool);  // [B, F]
      Act h = x;
      pool.parallel_for(B, [&](int64_t b, int) {
        const float* t = tp.row(b);
        for (int64_t p = 0; p < P; ++p) {
          float* r = h.row(b * P + p);
          if (absent(b, p))
            std::fill_n(r, F, 0.0f);
          else
            for (int64_t f = 0; f < F; ++f) r[f] = r[f] + t[f];
        }
      });
      const Act y = gate(conv1d(blk.dilated, h, pool), pool);  // [B, L, F] from [B, L, 2F]
      const Act rs = conv1d(blk.out, y, pool);                 // [B, L, 2F]: residual, skip
      const bool first = skip.v.empty();
      if (first) skip = Act(B, 1, P, F);
      pool.parallel_for(B, [&](int64_t b, int) {
        for (int64_t p = b * P; p < (b + 1) * P; ++p) {
          const float* r = rs.row(p);
          float* xr = x.row(p);
          float* sr = skip.row(p);
          for (int64_t f = 0; f < F; ++f) {
            xr[f] = (xr[f] + r[f]) * inv_sqrt2;
            sr[f] = first ? r[F + f] : sr[f] + r[F + f];
          }
        }
      });
    }

    // The output layers at the item's wanted positions only (rows: item row b * L + i).
    std::vector<int64_t> rows;
    for (int64_t r = 0; r < B * L; ++r)
      if (in.wanted == nullptr || in.wanted[r]) rows.push_back(r);
    auto act_row = [&](int64_t r) { return r / L * P + c + r % L; };
    const float skip_scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(blocks_.size())));
    Act sel(1, 1, static_cast<int64_t>(rows.size()), F);
    for (size_t i = 0; i < rows.size(); ++i) {
      const float* r = skip.row(act_row(rows[i]));
      float* o = sel.row(static_cast<int64_t>(i));
      for (int64_t f = 0; f < F; ++f) o[f] = r[f] * skip_scale;
    }
    Act hid = conv1d(skip_conv_, sel, pool);
    for (auto& v : hid.v) v = v > 0.0f ? v : 0.0f;
    Act o = conv1d(out_conv_, hid, pool);
    if (R_ > 0) {
      // The head: sum over the 2R + 1 samples around, known ones then the others, in that order.
      const Act w = conv1d(predict_, hid, pool);
      const int64_t T = 2 * R_ + 1, at = shape_.value_at, n = shape_.value_count;
      pool.parallel_for(static_cast<int64_t>(rows.size()), [&](int64_t i, int) {
        const int64_t b = rows[static_cast<size_t>(i)] / L, p = c + rows[static_cast<size_t>(i)] % L;
        const float* wr = w.row(i);
        float pred = 0.0f;
        for (int64_t side = 0; side < 2; ++side)
          for (int64_t k = 0; k < T; ++k) {
            const int64_t pp = p - R_ + k;
            if (pp < 0 || pp >= P) continue;  // zero: beyond the ends
            const float* r = chans.row(b * P + pp);
            const float x = side == 0 ? r[0] * r[1] : r[0] * (1.0f - r[1]);
            pred = pred + wr[side * T + k] * x;
          }
        float* orow = o.row(i);
        for (int64_t j = at; j < at + n; ++j) orow[j] = orow[j] + pred;
      });
    }
    std::vector<float> out(static_cast<size_t>(B * L * O));
    for (size_t i = 0; i < rows.size(); ++i) std::copy_n(o.row(static_cast<int64_t>(i)), O, out.data() + rows[i] * O);
    return out;
  }

 private:
  int64_t L_ = 0, F_ = 0, mask_ch_ = 1, R_ = 0;
  Conv1d in_conv_, skip_conv_, out_conv_, predict_;
  std::vector<float> embed_;  // [K_in, F/4]
  Dense embed_proj_, temb1_, temb2_;
  std::vector<Block> blocks_;
};

}  // namespace

std::unique_ptr<Net> make_diffwave(const EngineModel& model, NetIO shape) {
  return std::make_unique<DiffWave>(model, std::move(shape));
}

}  // namespace ardm::engine
