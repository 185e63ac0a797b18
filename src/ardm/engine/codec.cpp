#include "ardm/engine/codec.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>

#include "ardm/coding/format.h"
#include "ardm/coding/freq.h"
#include "ardm/coding/rans.h"
#include "ardm/core/config_io.h"
#include "ardm/core/levels.h"
#include "ardm/core/schedule_dp.h"

namespace ardm::engine {
namespace {

// A bit mixer digit's rANS symbol (docs/format.md, "The bit mixer"): 0 has [0, zero), 1 the rest
// of 2^precision.
coding::CodedSymbol digit_symbol(int bit, uint32_t zero, uint32_t precision) {
  const auto one = static_cast<uint32_t>((uint64_t{1} << precision) - zero);
  return bit ? coding::CodedSymbol{zero, one} : coding::CodedSymbol{0, zero};
}

// The network inputs of one call for B items, other than the values: known, wanted (the values
// the call may code), the global step and the stage, set item by item.
struct StepMasks {
  std::vector<uint8_t> known, wanted;
  std::vector<int64_t> t, stage;

  void resize(int64_t B, int64_t D, int64_t s) {
    known.resize(static_cast<size_t>(B * D));
    wanted.resize(known.size());
    t.assign(static_cast<size_t>(B), s * D);
    stage.assign(static_cast<size_t>(B), s);
  }
  // Item b: the values of rank < t0 known, t0 <= rank < t1 wanted (rank null: a location's rank
  // is itself); the values at locations >= length are absent (never known, never coded); with
  // a layout (EngineCodec::encode_batch), its absent values, and its copies known but never wanted.
  void set(int64_t b, int64_t D, int64_t s, int64_t t0, int64_t t1, const uint32_t* rank, int64_t length,
           const int32_t* layout) {
    t[static_cast<size_t>(b)] = s * D + t0;
    for (int64_t i = 0; i < D; ++i) {
      const int64_t r = rank ? static_cast<int64_t>(rank[i]) : i;
      const bool coded = layout ? layout[i] == EngineCodec::kCoded : i < length;
      const bool present = layout ? layout[i] != EngineCodec::kAbsent : i < length;
      known[static_cast<size_t>(b * D + i)] = present && r < t0;
      wanted[static_cast<size_t>(b * D + i)] = coded && r >= t0 && r < t1;
    }
  }
  bool any_wanted() const { return std::find(wanted.begin(), wanted.end(), 1) != wanted.end(); }
};

// Which values each network call of a stage codes, item by item. An item in the plan's order:
// call k codes the ranks [policy[k], policy[k + 1]) of the stage's order. An item coded left to
// right (the adaptive order's sequential chunks, EngineCodec::sequential): each call codes from
// the first value not yet coded on, until a value costs more than kSurprise while the plan's
// count of calls is not spent, or to the item's end.
class CallSchedule {
 public:
  CallSchedule(const EngineCodec::Plan& plan, int64_t s, int64_t D, const std::vector<int64_t>& length,
               const std::vector<const int32_t*>& layout, const std::vector<bool>& sequential)
      : policy_(plan.policies[static_cast<size_t>(s)]), rank_(plan.ranks[static_cast<size_t>(s)]),
        order_(plan.orders[static_cast<size_t>(s)]), s_(s), D_(D), length_(length), layout_(layout),
        sequential_(sequential), next_(length.size(), 0), calls_(length.size(), 0), cost_(length.size(), 0) {}

  // Sets the masks of call k (k = 0, 1, ... in turn); false when every item is coded.
  bool start(int64_t k, StepMasks& m) {
    const auto B = static_cast<int64_t>(length_.size());
    const auto L = static_cast<int64_t>(policy_.size());
    m.resize(B, D_, s_);
    bool any = false;
    for (int64_t b = 0; b < B; ++b) {
      const auto n = length_[static_cast<size_t>(b)];
      if (sequential_[static_cast<size_t>(b)]) {
        const int64_t p = next_[static_cast<size_t>(b)];
        m.set(b, D_, s_, p, p < n ? D_ : p, nullptr, n, nullptr);
        if (p < n) ++calls_[static_cast<size_t>(b)], any = true;
      } else if (k < L) {
        m.set(b, D_, s_, policy_[static_cast<size_t>(k)], k + 1 < L ? policy_[static_cast<size_t>(k + 1)] : D_,
              rank_.data(), n, layout_[static_cast<size_t>(b)]);
        any = true;
      } else {
        m.set(b, D_, s_, D_, D_, rank_.data(), n, layout_[static_cast<size_t>(b)]);
      }
    }
    return any;
  }

  // Item b is given up (a decoding error): no more calls for it.
  void finish(int64_t b) { next_[static_cast<size_t>(b)] = length_[static_cast<size_t>(b)]; }

  // Codes item b's values of call k, in order: code(location) codes one and returns its cost
  // (1/256 bits; 0 where no mixer measures it), summed per item.
  template <typename Code>
  void code(int64_t b, int64_t k, Code&& code_value) {
    const auto n = length_[static_cast<size_t>(b)];
    const auto L = static_cast<int64_t>(policy_.size());
    int64_t& total = cost_[static_cast<size_t>(b)];
    if (sequential_[static_cast<size_t>(b)]) {
      int64_t& p = next_[static_cast<size_t>(b)];
      while (p < n) {
        const int64_t cost = code_value(p++);
        total += cost;
        if (cost > EngineCodec::kSurprise && calls_[static_cast<size_t>(b)] < L) break;
      }
      return;
    }
    if (k >= L) return;
    const int64_t t0 = policy_[static_cast<size_t>(k)], t1 = k + 1 < L ? policy_[static_cast<size_t>(k + 1)] : D_;
    const int32_t* layout = layout_[static_cast<size_t>(b)];
    for (int64_t r = t0; r < t1; ++r) {
      const int64_t loc = order_[static_cast<size_t>(r)];
      // absent values and copies: their slots keep freq 0 and are dropped
      if (layout ? layout[loc] == EngineCodec::kCoded : loc < n) total += code_value(loc);
    }
  }

  // The end of call k's ranks (D after the last call).
  int64_t end_of(int64_t k) const {
    const auto L = static_cast<int64_t>(policy_.size());
    return k + 1 < L ? policy_[static_cast<size_t>(k + 1)] : D_;
  }
  const std::vector<uint32_t>& ranks() const { return rank_; }

  // What each item's values of this stage cost in all (code's sums).
  const std::vector<int64_t>& costs() const { return cost_; }

 private:
  const std::vector<int64_t>& policy_;
  const std::vector<uint32_t>& rank_;
  const std::vector<uint32_t>& order_;
  int64_t s_, D_;
  const std::vector<int64_t>& length_;
  const std::vector<const int32_t*>& layout_;
  const std::vector<bool>& sequential_;
  std::vector<int64_t> next_, calls_, cost_;
};

}  // namespace

EngineCodec::EngineCodec(std::shared_ptr<const EngineModel> model, int threads)
    : model_(std::move(model)), rules_(model_->cfg.data, model_->cfg.process) {
  if (threads < 1) throw std::invalid_argument("the codec needs at least one thread");
  if (rules_.num_classes() > 65536) throw std::invalid_argument("the codec codes values of at most 16 bits");
  if (model_->num_stages() != rules_.num_stages() || model_->num_values() != rules_.num_values())
    throw std::runtime_error("model file: its orders do not match its process (stages x values)");
  check_order(model_->cfg.process, model_->cfg.data);
  net_ = make_net(*model_);
  pool_ = std::make_unique<ThreadPool>(threads);
}


std::vector<uint32_t> EngineCodec::shape() const {
  std::vector<uint32_t> out;
  for (auto d : model_->cfg.data.shape) out.push_back(static_cast<uint32_t>(d));
  return out;
}

int64_t EngineCodec::coded_stages(int64_t stages) const {
  if (stages == 0) return num_stages();
  if (stages < 0 || stages > num_stages())
    throw std::invalid_argument("cannot code " + std::to_string(stages) + " of " + std::to_string(num_stages()) + " stages");
  return stages;
}

int64_t EngineCodec::stages_for_bits(int64_t bits) const {
  const int64_t S = num_stages(), K = num_classes();
  if (bits < 1 || (int64_t{1} << bits) > K || K % (int64_t{1} << bits) != 0) return 0;
  const int64_t low = K >> bits;  // the weight of the lowest coded bit
  for (int64_t k = 1; k <= S; ++k)
    if (rules_.digit_weight(k - 1) == low) return k;
  return 0;
}

void EngineCodec::check_budget(int64_t budget, int64_t stages) const {
  const int64_t S = coded_stages(stages), D = num_values();
  if (budget < S || budget > S * D)
    throw std::invalid_argument("--budget " + std::to_string(budget) + " is outside " + std::to_string(S) + ".." +
                                std::to_string(S * D) + " (the model has " + std::to_string(S) + " stage" +
                                (S == 1 ? "" : "s") + " of " + std::to_string(D) + " steps" +
                                (S == 1 ? "" : "; every stage needs at least one network call") + ")");
}

const EngineCodec::Plan& EngineCodec::plan(int64_t budget, int64_t stages) const {
  check_budget(budget, stages);
  const int64_t S = coded_stages(stages), D = num_values();
  std::lock_guard<std::mutex> lock(policy_mutex_);
  auto it = plans_.find({budget, S});
  if (it != plans_.end()) return it->second;
  Plan p;
  if (streams_plan_order(model_->cfg.process)) {  // one stage (check_order)
    auto sp = streams_plan(D, budget);
    p.policies = {std::move(sp.policy)};
    p.orders = {std::move(sp.order)};
  } else {  // every stage's order, the policies the model's costs give (schedule_dp.h)
    p.policies = model_policies(model_->costs, S, D, policy_groups(model_->cfg.process.order, model_->cfg.data.shape),
                                budget);
    p.orders.assign(model_->orders.begin(), model_->orders.begin() + S);
  }
  for (const auto& order : p.orders) {
    std::vector<uint32_t> rank(order.size());
    for (size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<uint32_t>(r);
    p.ranks.push_back(std::move(rank));
  }
  return plans_.emplace(std::make_pair(budget, S), std::move(p)).first->second;
}

std::vector<bool> EngineCodec::sequential(const std::vector<RowHistory*>& history, int64_t budget, int64_t stages) const {
  std::vector<bool> out(history.size(), false);
  if (model_->cfg.process.order != "adaptive" || !mixes_bits()) return out;
  const auto& pl = plan(budget, stages);
  if (static_cast<int64_t>(pl.policies[0].size()) >= num_values()) return out;  // one run: left to right already
  for (size_t b = 0; b < history.size(); ++b) {
    const RowHistory* h = history[b];
    out[b] = h && h->size() >= static_cast<size_t>(kSequentialAfter) && h->last_chunk_values > 0 &&
             h->last_chunk_cost < kSequentialBelow * h->last_chunk_values;
  }
  return out;
}

void EngineCodec::end_chunks(const std::vector<RowHistory*>& history, const std::vector<int64_t>& length,
                             const std::vector<int64_t>& cost) const {
  if (!mixes_bits()) return;
  for (size_t b = 0; b < history.size(); ++b)
    if (history[b]) history[b]->last_chunk_cost = cost[b], history[b]->last_chunk_values = length[b];
}

std::vector<int64_t> EngineCodec::lengths_or_full(const std::vector<int64_t>& lengths, size_t count) const {
  const int64_t D = num_values();
  if (lengths.empty()) return std::vector<int64_t>(count, D);
  if (lengths.size() != count) throw std::invalid_argument("one length per item");
  for (auto n : lengths)
    if (n < 1 || n > D) throw std::invalid_argument("an item's length must be 1.." + std::to_string(D));
  return lengths;
}

namespace {

// One layout per item (null: by its length), each copy checked against its source (coded, and
// before it in every coded stage's order).
std::vector<const int32_t*> layouts_or_none(const std::vector<const int32_t*>& layouts, size_t count, int64_t D,
                                            const EngineCodec::Plan& plan) {
  if (layouts.empty()) return std::vector<const int32_t*>(count, nullptr);
  if (layouts.size() != count) throw std::invalid_argument("one layout per item");
  for (const int32_t* l : layouts) {
    if (l == nullptr) continue;
    for (int64_t i = 0; i < D; ++i) {
      if (l[i] == EngineCodec::kCoded || l[i] == EngineCodec::kAbsent) continue;
      if (l[i] < 0 || l[i] >= D || l[l[i]] != EngineCodec::kCoded)
        throw std::invalid_argument("a copy of a value that is not coded");
      for (const auto& rank : plan.ranks)
        if (rank[static_cast<size_t>(l[i])] >= rank[static_cast<size_t>(i)])
          throw std::invalid_argument("a copy placed before its source in the order");
    }
  }
  return layouts;
}

}  // namespace

std::vector<RowHistory*> EngineCodec::histories(const std::vector<ItemContext>& contexts, size_t count) const {
  std::vector<RowHistory*> out(count, nullptr);
  if (!mixes_history() || contexts.empty()) return out;
  for (size_t b = 0; b < count; ++b) {
    out[b] = contexts[b].history;
    for (size_t c = 0; c < b; ++c)
      if (out[b] != nullptr && out[c] == out[b]) throw std::invalid_argument("two items of one batch share a row history");
  }
  return out;
}

int64_t EngineCodec::context_size() const {
  const auto& d = model_->cfg.data;
  if (d.shape.size() == 3 && d.context > 0) return d.shape[0] * (d.shape[1] + d.context) * (d.shape[2] + d.context);
  return d.context;
}

void EngineCodec::context_inputs(const std::vector<ItemContext>& contexts, size_t count, std::vector<int32_t>& values,
                                 std::vector<int64_t>& lengths) const {
  const int64_t C = context(), K = num_classes();
  if (model_->cfg.data.shape.size() == 3 && C > 0) {  // tiles: their windows, -1 where absent
    const int64_t n = context_size();
    values.assign(count * static_cast<size_t>(n), -1);
    lengths.assign(count, 0);
    if (contexts.empty()) return;
    if (contexts.size() != count) throw std::invalid_argument("one context per item");
    for (size_t b = 0; b < count; ++b) {
      const auto& c = contexts[b];
      if (c.length != 0 && c.length != n)
        throw std::invalid_argument("a tile's window has " + std::to_string(n) + " values, not " + std::to_string(c.length));
      for (int64_t j = 0; j < c.length; ++j) {
        if (c.values[j] == kAbsentPixel) continue;
        if (c.values[j] >= K) throw std::invalid_argument("window value " + std::to_string(c.values[j]) + " is not below " + std::to_string(K));
        values[b * static_cast<size_t>(n) + static_cast<size_t>(j)] = static_cast<int32_t>(c.values[j]);
      }
    }
    return;
  }
  values.assign(count * static_cast<size_t>(C), 0);
  lengths.assign(count, 0);
  if (contexts.empty()) return;
  if (contexts.size() != count) throw std::invalid_argument("one context per item");
  for (size_t b = 0; b < count; ++b) {
    const auto& c = contexts[b];
    if (c.length < 0 || c.length > C)
      throw std::invalid_argument("a context of " + std::to_string(c.length) + " values; the model sees " +
                                  std::to_string(C) + " before an item");
    for (int64_t j = 0; j < c.length; ++j) {
      if (c.values[j] >= K) throw std::invalid_argument("context value " + std::to_string(c.values[j]) + " is not below " + std::to_string(K));
      values[b * static_cast<size_t>(C) + static_cast<size_t>(C - c.length + j)] = static_cast<int32_t>(c.values[j]);
    }
    lengths[b] = c.length;
  }
}

std::vector<ItemCoder::Encoded> EngineCodec::encode_batch(const std::vector<const uint16_t*>& items, int64_t budget,
                                                          const std::vector<int64_t>& lengths, int64_t stages,
                                                          const std::vector<ItemContext>& contexts,
                                                          const std::vector<const int32_t*>& layouts) const {
  const auto& pl = plan(budget, stages);
  const int64_t B = static_cast<int64_t>(items.size()), D = num_values(), S = coded_stages(stages), K = num_classes();
  const int64_t A = rules_.num_symbols(), O = net_->shape().outputs_per_value;
  const auto len = lengths_or_full(lengths, items.size());
  const auto lay = layouts_or_none(layouts, items.size(), D, pl);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < len[static_cast<size_t>(b)]; ++i)
      if (const int32_t* l = lay[static_cast<size_t>(b)]; l && l[i] != kCoded) {
        if (l[i] >= 0 && items[static_cast<size_t>(b)][i] != items[static_cast<size_t>(b)][l[i]])
          throw std::invalid_argument("a copy whose value is not its source's");
      } else if (items[static_cast<size_t>(b)][i] >= K)
        throw std::invalid_argument("value " + std::to_string(items[static_cast<size_t>(b)][i]) + " is not below " +
                                    std::to_string(K));
      else if (rules_.future(items[static_cast<size_t>(b)][i], S - 1) != items[static_cast<size_t>(b)][i])
        throw std::invalid_argument("value " + std::to_string(items[static_cast<size_t>(b)][i]) +
                                    " has digits below the " + std::to_string(S) + " coded stages");
  std::vector<Encoded> out(static_cast<size_t>(B));
  for (auto& e : out) e.symbols.resize(static_cast<size_t>(S * D));
  if (B == 0) return out;
  std::vector<int32_t> ctx;
  std::vector<int64_t> ctx_len;
  context_inputs(contexts, items.size(), ctx, ctx_len);
  std::lock_guard<std::mutex> lock(run_mutex_);
  std::vector<int32_t> past(static_cast<size_t>(B * D)), fut(past.size()), sym(past.size()), x(past.size());
  StepMasks m;
  NetBatch in;
  in.batch = B;
  in.context = ctx.data(), in.context_length = ctx_len.data();
  const auto state = net_->begin(in, *pool_);  // what the items' contexts make, once for every step
  in.state = state.get();
  std::vector<double> bits(static_cast<size_t>(B), 0.0);
  const auto history = histories(contexts, items.size());
  std::vector<int32_t> coded(past.size(), -1);  // the values coded so far (history mixer), -1: not yet
  const bool bit_mixing = mixes_bits();
  std::vector<std::vector<coding::CodedSymbol>> digits(static_cast<size_t>(B));  // bit mixer: each item's, in order
  const auto seq = sequential(history, budget, stages);
  for (int64_t s = 0; s < S; ++s) {
    for (int64_t b = 0; b < B; ++b)
      for (int64_t i = 0; i < D; ++i) {
        const size_t j = static_cast<size_t>(b * D + i);
        const int32_t* l = lay[static_cast<size_t>(b)];
        if (l ? l[i] == kAbsent : i >= len[static_cast<size_t>(b)]) {  // absent: held at the start value, never coded
          past[j] = fut[j] = static_cast<int32_t>(rules_.start_value());
          continue;
        }
        past[j] = static_cast<int32_t>(rules_.past(items[static_cast<size_t>(b)][i], s));
        fut[j] = static_cast<int32_t>(rules_.future(items[static_cast<size_t>(b)][i], s));
        sym[j] = static_cast<int32_t>(rules_.symbol(past[j], fut[j], s));
      }
    CallSchedule calls(pl, s, D, len, lay, seq);
    for (int64_t k = 0; calls.start(k, m); ++k) {
      if (!m.any_wanted()) continue;  // a call of copies and absent values only
      for (size_t j = 0; j < x.size(); ++j) x[j] = m.known[j] ? fut[j] : past[j];
      in.x = x.data(), in.known = m.known.data(), in.t = m.t.data(), in.stage = m.stage.data(), in.wanted = m.wanted.data();
      const auto o = net_->forward(in, *pool_);
      pool_->parallel_for(B, [&](int64_t b, int) {
        std::vector<double> w(static_cast<size_t>(A));
        RowHistory* const hist = history[static_cast<size_t>(b)];
        calls.code(b, k, [&](int64_t loc) -> int64_t {
          const size_t j = static_cast<size_t>(b * D + loc);
          const int64_t r = pl.ranks[static_cast<size_t>(s)][static_cast<size_t>(loc)];
          rules_.symbol_weights(o.data() + j * static_cast<size_t>(O), past[j], s, w.data());
          auto table = coding::quantize_probabilities(w.data(), static_cast<size_t>(A), coding::kDefaultPrecision);
          const auto symbol = static_cast<size_t>(sym[j]);
          if (hist && bit_mixing) {  // the value's binary digits, each from the bit mixer
            auto& dig = digits[static_cast<size_t>(b)];
            hist->mixer.code(*hist, &coded[j - static_cast<size_t>(loc)], D, loc, table, [&](uint32_t zero, int d) {
              const int bit = static_cast<int>((symbol >> d) & 1);
              dig.push_back(digit_symbol(bit, zero, table.precision));
              bits[static_cast<size_t>(b)] -= std::log2(std::ldexp(dig.back().freq, -static_cast<int>(table.precision)));
              return bit;
            });
            coded[j] = sym[j];
            return hist->mixer.last_cost();
          }
          RowHistory::Mixed mixed;
          if (hist) mixed = hist->mix(hist->guess(&coded[j - static_cast<size_t>(loc)], D, loc), table);
          out[static_cast<size_t>(b)].symbols[static_cast<size_t>(s * D + r)] = {table.start(symbol), table.freq(symbol)};
          if (hist) {
            hist->update(mixed, sym[j]);
            coded[j] = sym[j];
            bits[static_cast<size_t>(b)] -= std::log2(static_cast<double>(table.freq(symbol)) /
                                                      static_cast<double>(uint64_t{1} << table.precision));
            return 0;
          }
          double total = 0;
          for (double v : w) total += v;
          bits[static_cast<size_t>(b)] -= std::log2(w[symbol] / total);
          return 0;
        });
      });
    }
    end_chunks(history, len, calls.costs());  // (a model with a history has one stage)
  }
  for (int64_t b = 0; b < B; ++b) {
    auto& e = out[static_cast<size_t>(b)];
    e.model_bits = bits[static_cast<size_t>(b)];
    if (bit_mixing && history[static_cast<size_t>(b)] != nullptr) {
      e.symbols = std::move(digits[static_cast<size_t>(b)]);
      continue;
    }
    if (len[static_cast<size_t>(b)] < D || lay[static_cast<size_t>(b)] != nullptr)
      e.symbols.erase(std::remove_if(e.symbols.begin(), e.symbols.end(),
                                     [](const coding::CodedSymbol& c) { return c.freq == 0; }),
                      e.symbols.end());
  }
  return out;
}

std::vector<EngineCodec::Decoded> EngineCodec::decode_batch(const std::vector<Payload>& items, int64_t budget,
                                                            int64_t stages) const {
  const auto& pl = plan(budget, stages);
  const int64_t B = static_cast<int64_t>(items.size()), D = num_values(), S = coded_stages(stages), K = num_classes();
  const int64_t A = rules_.num_symbols(), O = net_->shape().outputs_per_value;
  std::vector<Decoded> out(static_cast<size_t>(B));
  if (B == 0) return out;
  std::vector<int64_t> len;
  std::vector<const int32_t*> lay;
  for (const auto& it : items) len.push_back(it.length < 0 ? D : it.length), lay.push_back(it.layout);
  len = lengths_or_full(len, items.size());
  lay = layouts_or_none(lay, items.size(), D, pl);
  std::vector<ItemContext> contexts;
  for (const auto& it : items) contexts.push_back(it.context);
  std::vector<int32_t> ctx;
  std::vector<int64_t> ctx_len;
  context_inputs(contexts, items.size(), ctx, ctx_len);
  std::lock_guard<std::mutex> lock(run_mutex_);
  NetBatch in;
  in.batch = B;
  in.context = ctx.data(), in.context_length = ctx_len.data();
  const auto state = net_->begin(in, *pool_);
  in.state = state.get();
  std::vector<std::optional<coding::RansDecoder>> own(static_cast<size_t>(B));
  std::vector<coding::RansDecoder*> dec(static_cast<size_t>(B), nullptr);
  for (int64_t b = 0; b < B; ++b) {
    const auto& it = items[static_cast<size_t>(b)];
    if (it.stream != nullptr) {
      dec[static_cast<size_t>(b)] = it.stream;
      continue;
    }
    try {
      own[static_cast<size_t>(b)] = coding::RansDecoder::checked(it.data, it.size, coding::kDefaultPrecision);
      dec[static_cast<size_t>(b)] = &*own[static_cast<size_t>(b)];
    } catch (const std::exception& e) {
      out[static_cast<size_t>(b)].error = e.what();
    }
  }
  std::vector<int32_t> values(static_cast<size_t>(B * D), static_cast<int32_t>(rules_.start_value())), past(values.size());
  const auto history = histories(contexts, items.size());
  std::vector<int32_t> coded(values.size(), -1);
  const bool bit_mixing = mixes_bits();
  const auto seq = sequential(history, budget, stages);
  StepMasks m;
  for (int64_t s = 0; s < S; ++s) {
    past = values;  // what earlier stages made
    CallSchedule calls(pl, s, D, len, lay, seq);
    // Each item's copies whose ranks the calls so far reached take their sources' values.
    auto copy_up_to = [&](int64_t end) {
      for (int64_t b = 0; b < B; ++b)
        if (const int32_t* l = lay[static_cast<size_t>(b)])
          for (int64_t i = 0; i < D; ++i)
            if (l[i] >= 0 && calls.ranks()[static_cast<size_t>(i)] < end) values[b * D + i] = values[b * D + l[i]];
    };
    for (int64_t k = 0; calls.start(k, m); ++k) {
      if (!m.any_wanted()) {  // a call of copies and absent values only
        copy_up_to(calls.end_of(k));
        continue;
      }
      // Known locations hold their decoded values, the others their past: the encoder's input.
      in.x = values.data(), in.known = m.known.data(), in.t = m.t.data(), in.stage = m.stage.data(), in.wanted = m.wanted.data();
      const auto o = net_->forward(in, *pool_);
      pool_->parallel_for(B, [&](int64_t b, int) {
        auto& d = out[static_cast<size_t>(b)];
        if (!d.error.empty()) return calls.finish(b);
        RowHistory* const hist = history[static_cast<size_t>(b)];
        try {
          std::vector<double> w(static_cast<size_t>(A));
          calls.code(b, k, [&](int64_t loc) -> int64_t {
            const size_t j = static_cast<size_t>(b * D + loc);
            rules_.symbol_weights(o.data() + j * static_cast<size_t>(O), past[j], s, w.data());
            auto table = coding::quantize_probabilities(w.data(), static_cast<size_t>(A), coding::kDefaultPrecision);
            auto& rd = *dec[static_cast<size_t>(b)];
            RowHistory::Mixed mixed;
            size_t symbol = 0;
            int64_t cost = 0;
            if (hist && bit_mixing) {
              symbol = static_cast<size_t>(
                  hist->mixer.code(*hist, &coded[j - static_cast<size_t>(loc)], D, loc, table, [&](uint32_t zero, int) {
                    const int bit = rd.peek() >= zero ? 1 : 0;
                    const auto c = digit_symbol(bit, zero, table.precision);
                    rd.advance(c.start, c.freq);
                    return bit;
                  }));
              cost = hist->mixer.last_cost();
            } else {
              if (hist) mixed = hist->mix(hist->guess(&coded[j - static_cast<size_t>(loc)], D, loc), table);
              symbol = table.find(rd.peek());
              rd.advance(table.start(symbol), table.freq(symbol));
            }
            const int64_t v = rules_.value(past[j], static_cast<int64_t>(symbol), s);
            if (v >= K)
              throw coding::CodingError("a digit decoded to value " + std::to_string(v) + " (K = " + std::to_string(K) + ")");
            values[j] = static_cast<int32_t>(v);
            if (hist) {
              hist->update(mixed, static_cast<int32_t>(symbol));
              coded[j] = static_cast<int32_t>(symbol);
            }
            return cost;
          });
        } catch (const std::exception& e) {
          d.error = e.what();
          calls.finish(b);
        }
      });
      copy_up_to(calls.end_of(k));
    }
    end_chunks(history, len, calls.costs());  // (a model with a history has one stage)
  }
  for (int64_t b = 0; b < B; ++b) {
    auto& d = out[static_cast<size_t>(b)];
    if (!d.error.empty()) continue;
    d.values.assign(values.begin() + b * D, values.begin() + (b + 1) * D);
    if (items[static_cast<size_t>(b)].stream != nullptr) continue;  // the row's end checks it
    try {
      dec[static_cast<size_t>(b)]->check_finished(items[static_cast<size_t>(b)].check(d.values));
    } catch (const std::exception& e) {
      d.error = e.what();
      d.values.clear();
    }
  }
  return out;
}

std::vector<uint16_t> EngineCodec::decode(const uint8_t* payload, size_t size, int64_t budget, const Check& check) const {
  auto r = decode_batch({{payload, size, check, -1, {}, nullptr, nullptr}}, budget);
  if (!r[0].error.empty()) throw coding::CodingError(r[0].error);
  return std::move(r[0].values);
}


}  // namespace ardm::engine
