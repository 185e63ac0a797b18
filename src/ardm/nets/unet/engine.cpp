// The image UNet (nets/unet.cpp) in the engine: the same layers, names and order.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "ardm/engine/math.h"
#include "ardm/engine/net.h"
#include "ardm/engine/weights.h"

namespace ardm::engine {
namespace {

struct ResBlock {
  GroupNorm norm1, norm2;
  Conv3x3 conv1, conv2;
  Dense temb_proj;
  bool has_shortcut = false;
  Dense shortcut;
};

ResBlock load_res(const EngineModel& m, const std::string& n, int64_t in, int64_t out, int64_t temb_ch, int64_t G) {
  ResBlock r;
  r.norm1 = load_group_norm(m, n + ".norm1", nets::unet::group_count(G, in), in);
  r.conv1 = load_conv3x3(m, n + ".conv1", in, out);
  r.temb_proj = load_dense(m, n + ".temb_proj", temb_ch, out, false);
  r.norm2 = load_group_norm(m, n + ".norm2", nets::unet::group_count(G, out), out);
  r.conv2 = load_conv3x3(m, n + ".conv2", out, out);
  r.has_shortcut = in != out;
  if (r.has_shortcut) r.shortcut = load_dense(m, n + ".shortcut", in, out, true);
  return r;
}

// temb_act: swish(temb), [B, temb_ch] as an Act of B pixels.
Act res_forward(const ResBlock& r, const Act& x, const Act& temb_act, ThreadPool& pool) {
  Act h = conv3x3(r.conv1, group_norm(r.norm1, x, true, pool), pool);
  const Act tp = dense(r.temb_proj, temb_act, pool);  // [B, out]
  const int64_t hw = h.h * h.w;
  pool.parallel_for(h.n, [&](int64_t b, int) {
    const float* t = tp.row(b);
    for (int64_t p = b * hw; p < (b + 1) * hw; ++p) {
      float* row = h.row(p);
      for (int64_t c = 0; c < h.c; ++c) row[c] = row[c] + t[c];
    }
  });
  h = conv3x3(r.conv2, group_norm(r.norm2, h, true, pool), pool);
  Act s = r.has_shortcut ? dense(r.shortcut, x, pool) : x;
  add_inplace(s, h, pool);
  return s;
}

class UNet : public Net {
 public:
  UNet(const EngineModel& m, NetIO io) : Net(std::move(io)) {
    const auto& cfg = m.cfg.net.unet;
    nets::unet::validate(cfg, shape_);
    C_ = shape_.data_shape[0];
    H_ = shape_.data_shape[1];
    W_ = shape_.data_shape[2];
    ch_ = cfg.ch;
    const int64_t G = cfg.num_groups;
    stage_ch_ = nets::unet::stage_channels(shape_);
    c0_ = nets::unet::level_channels(cfg, 0);
    const int64_t temb_ch = nets::unet::time_channels(cfg);
    in_conv_ = load_conv3x3(m, "in_conv", 2 * C_ + stage_ch_, 3 * c0_ / 4);
    embed_ = m.param("in_embed.weight", {shape_.input_classes, c0_ / 4}).values;
    in_embed_proj_ = load_dense(m, "in_embed_proj", C_ * (c0_ / 4), c0_ / 4, false);
    temb1_ = load_dense(m, "temb1", cfg.ch, temb_ch, false);
    temb2_ = load_dense(m, "temb2", temb_ch, temb_ch, false);

    const auto levels = static_cast<int64_t>(cfg.ch_mult.size());
    auto has_attn = [&](int64_t res) { return nets::unet::has_attention(cfg, res); };
    std::vector<int64_t> skip_ch = {c0_}, level_res;
    int64_t ch = c0_, res = H_;
    down_.resize(static_cast<size_t>(levels));
    for (int64_t l = 0; l < levels; ++l) {
      level_res.push_back(res);
      const int64_t out = cfg.ch * cfg.ch_mult[static_cast<size_t>(l)];
      for (int64_t r = 0; r < cfg.num_res_blocks; ++r) {
        const std::string name = nets::unet::down_block(l, r);
        Stage st{load_res(m, name, ch, out, temb_ch, G), has_attn(res), {}};
        if (st.attn) st.attention = load_attention(m, nets::unet::attention_of(name), nets::unet::group_count(G, out), out);
        down_[static_cast<size_t>(l)].push_back(std::move(st));
        ch = out;
        skip_ch.push_back(ch);
      }
      if (l + 1 < levels) {
        downsample_.push_back(load_conv3x3(m, nets::unet::downsample(l), ch, ch, 2));
        skip_ch.push_back(ch);
        res = (res + 1) / 2;
      }
    }
    mid1_ = load_res(m, "mid1", ch, ch, temb_ch, G);
    mid_attn_ = load_attention(m, "mid_attn", nets::unet::group_count(G, ch), ch);
    mid2_ = load_res(m, "mid2", ch, ch, temb_ch, G);
    up_.resize(static_cast<size_t>(levels));
    upsample_.resize(static_cast<size_t>(levels));
    for (int64_t l = levels - 1; l >= 0; --l) {
      const int64_t out = cfg.ch * cfg.ch_mult[static_cast<size_t>(l)];
      for (int64_t r = 0; r <= cfg.num_res_blocks; ++r) {
        const std::string name = nets::unet::up_block(l, r);
        const int64_t skip = skip_ch.back();
        skip_ch.pop_back();
        Stage st{load_res(m, name, ch + skip, out, temb_ch, G), has_attn(level_res[static_cast<size_t>(l)]), {}};
        if (st.attn) st.attention = load_attention(m, nets::unet::attention_of(name), nets::unet::group_count(G, out), out);
        up_[static_cast<size_t>(l)].push_back(std::move(st));
        ch = out;
      }
      if (l > 0) upsample_[static_cast<size_t>(l)] = load_conv3x3(m, nets::unet::upsample(l), ch, ch);
    }
    out_norm_ = load_group_norm(m, "out_norm", nets::unet::group_count(G, ch), ch);
    out_conv_ = load_conv3x3(m, "out_conv", ch, shape_.outputs_per_value * C_);
    R_ = cfg.taps;
    affine_ = cfg.head == "affine";
    if (R_ > 0 && C_ > kMaxHeadChannels) throw std::invalid_argument("engine: a UNet head over more than 4 channels");
    if (R_ > 0) predict_ = load_dense(m, nets::unet::head_layer(), ch, nets::unet::head_weights(cfg, shape_), true);
  }

  std::vector<float> forward(const NetBatch& in, ThreadPool& pool) const override {
    const int64_t B = in.batch, HW = H_ * W_, D = C_ * HW, O = shape_.outputs_per_value;
    // With a margin M the network runs over the window (the tile at its bottom right, the M rows
    // above and columns left of it from in.context: [B, C, H + M, W + M], -1 where absent).
    const int64_t M = shape_.context, Hn = H_ + M, Wn = W_ + M, HWn = Hn * Wn;
    if (M > 0 && in.context == nullptr) throw std::invalid_argument("a tile without its window");
    // Input processing: values scaled by 2 / K_in - 1, the mask, the stage one-hot; then the
    // class embedding of every channel, projected.
    Act xin(B, Hn, Wn, 2 * C_ + stage_ch_);
    Act emb(B, Hn, Wn, C_ * (c0_ / 4));
    const float scale = static_cast<float>(2.0 / static_cast<double>(shape_.input_classes));
    const int64_t e = c0_ / 4;
    pool.parallel_for(B, [&](int64_t b, int) {
      if (in.stage[b] < 0 || in.stage[b] >= shape_.num_stages) throw std::invalid_argument("stage out of range");
      for (int64_t p = 0; p < HWn; ++p) {
        float* r = xin.row(b * HWn + p);
        float* er = emb.row(b * HWn + p);
        const int64_t y = p / Wn - M, x = p % Wn - M;  // tile coordinates
        const bool tile = y >= 0 && x >= 0;
        for (int64_t c = 0; c < C_; ++c) {
          int32_t v = 0;
          bool known = false;
          if (tile) {
            v = in.x[b * D + c * HW + y * W_ + x];
            known = in.known[b * D + c * HW + y * W_ + x] != 0;
          } else {
            const int32_t w = in.context[(b * C_ + c) * HWn + p];
            v = std::max(w, 0);
            known = w >= 0;
          }
          if (v < 0 || v >= shape_.input_classes) throw std::invalid_argument("input class out of range");
          r[c] = static_cast<float>(v) * scale - 1.0f;
          r[C_ + c] = known ? 1.0f : 0.0f;
          std::copy_n(embed_.data() + v * e, e, er + c * e);
        }
        for (int64_t s = 0; s < stage_ch_; ++s) r[2 * C_ + s] = s == in.stage[b] ? 1.0f : 0.0f;
      }
    });
    Act h = concat(conv3x3(in_conv_, xin, pool), dense(in_embed_proj_, emb, pool), pool);

    // Time embedding: [B, 4ch], then swish once for every block's projection.
    Act ts(B, 1, 1, ch_);
    for (int64_t b = 0; b < B; ++b) {
      const float t = static_cast<float>(in.t[b]) * static_cast<float>(1000.0 / static_cast<double>(shape_.max_time));
      const auto row = timestep_embedding(t, ch_);
      std::copy(row.begin(), row.end(), ts.row(b));
    }
    const Act temb_act = swish(dense(temb2_, swish(dense(temb1_, ts, pool)), pool));

    std::vector<Act> hs = {h};
    const size_t levels = down_.size();
    for (size_t l = 0; l < levels; ++l) {
      for (const auto& st : down_[l]) {
        h = res_forward(st.res, h, temb_act, pool);
        if (st.attn) h = attention(st.attention, h, pool);
        hs.push_back(h);
      }
      if (l + 1 < levels) {
        h = conv3x3(downsample_[l], h, pool);
        hs.push_back(h);
      }
    }
    h = res_forward(mid2_, attention(mid_attn_, res_forward(mid1_, h, temb_act, pool), pool), temb_act, pool);
    for (size_t li = levels; li-- > 0;) {
      for (const auto& st : up_[li]) {
        Act skip = std::move(hs.back());
        hs.pop_back();
        h = res_forward(st.res, concat(h, skip, pool), temb_act, pool);
        if (st.attn) h = attention(st.attention, h, pool);
      }
      if (li > 0) h = conv3x3(upsample_[li], resize_nearest(h, hs.back().h, hs.back().w), pool);
    }
    // The last convolution (a quarter of the work: O*C outputs per pixel) at the wanted pixels only.
    const Act hn = group_norm(out_norm_, h, true, pool);
    std::vector<int64_t> pixels;  // in the network's grid
    for (int64_t b = 0; b < B; ++b)
      for (int64_t p = 0; p < HW; ++p) {
        bool want = in.wanted == nullptr;
        for (int64_t c = 0; c < C_ && !want; ++c) want = in.wanted[b * D + c * HW + p] != 0;
        if (want) pixels.push_back(b * HWn + (p / W_ + M) * Wn + p % W_ + M);
      }
    const Act o = conv3x3_at(out_conv_, hn, pixels, pool);  // [pixels, O*C], channel o*C + c
    Act w;  // the prediction head's weights at the wanted pixels: [pixels, C * C * T]
    if (R_ > 0) {
      Act sel(1, 1, static_cast<int64_t>(pixels.size()), hn.c);
      for (size_t i = 0; i < pixels.size(); ++i) std::copy_n(hn.row(pixels[i]), hn.c, sel.row(static_cast<int64_t>(i)));
      w = dense(predict_, sel, pool);
    }
    const int64_t side = 2 * R_ + 1, T = side * side, at = shape_.value_at, nv = shape_.value_count;
    std::vector<float> out(static_cast<size_t>(B * D * O));
    pool.parallel_for(static_cast<int64_t>(pixels.size() + 63) / 64, [&](int64_t blk, int) {
      const int64_t end = std::min<int64_t>(static_cast<int64_t>(pixels.size()), (blk + 1) * 64);
      for (int64_t r = blk * 64; r < end; ++r) {
        const int64_t b = pixels[static_cast<size_t>(r)] / HWn, q = pixels[static_cast<size_t>(r)] % HWn;
        const int64_t p = (q / Wn - M) * W_ + q % Wn - M;
        const float* row = o.row(r);
        for (int64_t c = 0; c < C_; ++c) {
          float* dst = out.data() + (b * D + c * HW + p) * O;
          for (int64_t k = 0; k < O; ++k) dst[k] = row[k * C_ + c];
          if (R_ == 0) continue;
          // The head: over the channels c', then the pixels around (row-major), in that order;
          // a pixel outside the grid adds nothing, an unknown value is 0.
          const float* wr = w.row(r) + c * C_ * T;
          auto at_tap = [&](int64_t k) -> const float* {  // the pixel around, or none outside the grid
            const int64_t yy = q / Wn + k / side - R_, xx = q % Wn + k % side - R_;
            return yy < 0 || yy >= Hn || xx < 0 || xx >= Wn ? nullptr : xin.row(b * HWn + yy * Wn + xx);
          };
          float pred = 0.0f;
          if (affine_) {
            // m[c2]: the mean of channel c2's values where c and c2 are both known, summed in tap
            // order; then the base m[c] and the weighted differences, channels then taps.
            float m[kMaxHeadChannels];
            for (int64_t c2 = 0; c2 < C_; ++c2) {
              float sum = 0.0f, count = 0.0f;
              for (int64_t k = 0; k < T; ++k)
                if (const float* xr = at_tap(k)) {
                  const float both = xr[C_ + c] * xr[C_ + c2];
                  sum = sum + both * (xr[c2] * xr[C_ + c2]);
                  count = count + both;
                }
              m[c2] = sum / std::max(count, 1.0f);
            }
            pred = m[c];
            for (int64_t c2 = 0; c2 < C_; ++c2)
              for (int64_t k = 0; k < T; ++k)
                if (const float* xr = at_tap(k)) pred = pred + wr[c2 * T + k] * (xr[c2] * xr[C_ + c2] - xr[C_ + c2] * m[c2]);
          } else {
            for (int64_t c2 = 0; c2 < C_; ++c2)
              for (int64_t k = 0; k < T; ++k)
                if (const float* xr = at_tap(k)) pred = pred + wr[c2 * T + k] * (xr[c2] * xr[C_ + c2]);
          }
          for (int64_t j = at; j < at + nv; ++j) dst[j] = dst[j] + pred;
        }
      }
    });
    return out;
  }

 private:
  struct Stage {
    ResBlock res;
    bool attn = false;
    Attention attention;
  };
  static constexpr int64_t kMaxHeadChannels = 4;
  int64_t C_ = 0, H_ = 0, W_ = 0, ch_ = 0, c0_ = 0, stage_ch_ = 0, R_ = 0;
  bool affine_ = false;
  Conv3x3 in_conv_;
  std::vector<float> embed_;  // [input_classes, c0 / 4]
  Dense in_embed_proj_, temb1_, temb2_;
  std::vector<std::vector<Stage>> down_, up_;
  std::vector<Conv3x3> downsample_, upsample_;  // upsample_[l] for l >= 1
  ResBlock mid1_, mid2_;
  Attention mid_attn_;
  GroupNorm out_norm_;
  Conv3x3 out_conv_;
  Dense predict_;
};

}  // namespace

std::unique_ptr<Net> make_unet(const EngineModel& model, NetIO shape) {
  return std::make_unique<UNet>(model, std::move(shape));
}

}  // namespace ardm::engine
