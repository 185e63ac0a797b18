#include "ardm/codec/stream.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "ardm/coding/rans.h"

namespace ardm::codec {
namespace {

using Encoded = engine::ItemCoder::Encoded;

// A chunk of a content: its first value and its length (D, or less for a tail).
struct Chunk {
  size_t source, index, begin, length;
};

std::vector<Chunk> chunks_of(size_t source, uint64_t n, uint64_t D) {
  std::vector<Chunk> out;
  for (uint64_t b = 0, i = 0; b < n; b += D, ++i)
    out.push_back({source, static_cast<size_t>(i), static_cast<size_t>(b), static_cast<size_t>(std::min(D, n - b))});
  return out;
}

coding::Header header_of(const kinds::Kind& kind, const kinds::Content& c, coding::Method method,
                         const engine::EngineCodec& codec, int64_t budget) {
  coding::Header h;
  h.method = method;
  h.model_id = static_cast<uint16_t>(codec.fingerprint());
  h.described = !kind.bare(c, codec.model());
  if (h.described) h.description = c.description;
  h.budget = method == coding::Method::kModel ? static_cast<uint32_t>(budget) : 0;
  return h;
}

}  // namespace

void check_budget(const engine::EngineCodec& codec, int64_t budget) {
  if (budget > static_cast<int64_t>(coding::kMaxBudget))
    throw std::invalid_argument("--budget " + std::to_string(budget) + " is above " + std::to_string(coding::kMaxBudget) +
                                ", the most network calls per chunk a file may ask of its decoder");
  codec.policy(budget);  // checks the budget against the model and computes the schedule once
}

std::vector<std::vector<Encoded>> encode_chunks(const std::vector<Source>& sources, const engine::EngineCodec& codec,
                                                int64_t budget, size_t batch, const Progress& on_progress) {
  if (batch < 1) throw std::invalid_argument("batch must be at least 1");
  const auto D = static_cast<uint64_t>(codec.num_values());
  std::vector<std::vector<Encoded>> out(sources.size());
  std::map<int64_t, std::vector<Chunk>> by_stages;  // chunks that code the same stages share calls
  std::vector<kinds::WordMap> maps;
  for (size_t s = 0; s < sources.size(); ++s) {
    const auto& c = *sources[s].content;
    maps.push_back(sources[s].kind->word_map(c.description, codec));
    auto list = chunks_of(s, c.words.size(), D);
    out[s].resize(list.size());
    auto& group = by_stages[maps.back().stages];
    group.insert(group.end(), list.begin(), list.end());
  }
  size_t done = 0;
  for (const auto& [stages, list] : by_stages)
    for (size_t c0 = 0; c0 < list.size(); c0 += batch) {
      const size_t n = std::min(batch, list.size() - c0);
      std::vector<std::vector<uint16_t>> values(n, std::vector<uint16_t>(static_cast<size_t>(D), 0));
      std::vector<const uint16_t*> ptrs;
      std::vector<int64_t> lengths;
      for (size_t k = 0; k < n; ++k) {
        const Chunk& ch = list[c0 + k];
        const auto& words = sources[ch.source].content->words;
        const auto& map = maps[ch.source];
        for (size_t j = 0; j < ch.length; ++j) values[k][j] = map.to_model(words[ch.begin + j]);
        ptrs.push_back(values[k].data());
        lengths.push_back(static_cast<int64_t>(ch.length));
      }
      auto encoded = codec.encode_batch(ptrs, budget, lengths, stages);
      for (size_t k = 0; k < n; ++k) out[list[c0 + k].source][list[c0 + k].index] = std::move(encoded[k]);
      done += n;
      if (on_progress) on_progress(done);
    }
  return out;
}

std::vector<uint8_t> make_file(const kinds::Kind& kind, const kinds::Content& c, coding::Method method,
                               const engine::EngineCodec& codec, int64_t budget, const std::vector<Encoded>& chunks) {
  const auto h = header_of(kind, c, method, codec, budget);
  const auto bytes = coding::value_bytes(c.words.data(), c.words.size(), c.description.value_bits);
  switch (method) {
    case coding::Method::kStored:
      return coding::assemble_file(coding::encode_header(h, false), method, false, {bytes});
    case coding::Method::kNative: {
      const auto parts = kind.encode_native(c);
      return coding::assemble_file(coding::encode_header(h, parts.size() != 1), method, parts.size() != 1, parts);
    }
    case coding::Method::kModel: {
      const size_t vb = c.description.value_bytes(), D = static_cast<size_t>(codec.num_values());
      const bool chunked = chunks.size() != 1;
      const auto head = coding::encode_header(h, chunked);
      std::vector<std::vector<uint8_t>> payloads;
      for (size_t i = 0; i < chunks.size(); ++i) {
        const size_t begin = i * D, len = std::min(D, c.words.size() - begin);
        payloads.push_back(coding::encode_checked(
            chunks[i].symbols,
            coding::chunk_check(codec.fingerprint(), head, i, bytes.data() + begin * vb, len * vb)));
      }
      return coding::assemble_file(head, method, chunked, payloads);
    }
  }
  throw std::invalid_argument("unknown method");
}

void check_method(const kinds::Kind& kind, const std::string& method) {
  if (method == "auto" || method == "model" || method == "stored") return;
  if (kind.native_name() && method == kind.native_name()) return;
  throw std::invalid_argument(std::string(kind.name()) + " files are coded by the model" +
                              (kind.native_name() ? std::string(", stored or ") + kind.native_name() : " or stored") +
                              ", not by '" + method + "'");
}

Made best_file(const kinds::Kind& kind, const kinds::Content& c, const std::string& method,
               const engine::EngineCodec& codec, int64_t budget, const std::vector<Encoded>& chunks) {
  check_method(kind, method);
  std::vector<coding::Method> methods;
  if (c.words.empty()) {
    methods = {coding::Method::kStored};  // nothing for a model to code
  } else if (method == "auto") {
    methods = {coding::Method::kModel, coding::Method::kStored};
    if (kind.native_name()) methods.push_back(coding::Method::kNative);
  } else {
    methods = {method == "model" ? coding::Method::kModel : method == "stored" ? coding::Method::kStored : coding::Method::kNative};
  }
  Made best;
  for (auto m : methods) {
    auto bytes = make_file(kind, c, m, codec, budget, chunks);
    if (best.bytes.empty() || bytes.size() < best.bytes.size()) best = {std::move(bytes), m};
  }
  return best;
}

std::string method_name(const kinds::Kind& kind, coding::Method method) {
  if (method == coding::Method::kNative && kind.native_name()) return kind.native_name();
  return coding::method_name(method);
}

Opened open_file(const uint8_t* data, size_t size) {
  Opened f;
  f.file = coding::read_file_v3(data, size, kinds::layouts());
  const auto& h = f.file.header;
  if (h.described) {
    f.kind = kinds::for_code(h.description.kind);
    if (!f.kind) throw coding::FormatError("unsupported data kind " + std::to_string(h.description.kind));
    f.kind->check_description(h.description);
    f.description = h.description;
    if (h.method == coding::Method::kStored && f.file.parts[0].size != f.description.num_values() * f.description.value_bytes())
      throw coding::FormatError("corrupted: " + std::to_string(f.file.parts[0].size) + " stored bytes for " +
                                std::to_string(f.description.num_values()) + " values");
  } else {
    f.kind = &kinds::for_bare_files();
  }
  // A file that says what it holds and is not model-coded needs no model.
  f.needs_model = h.method == coding::Method::kModel || !h.described;
  return f;
}

size_t chunk_count(const Opened& f) { return f.file.parts.size(); }

void bind(Opened& f, const engine::EngineCodec& codec) {
  if (!f.needs_model) return;
  const auto& h = f.file.header;
  coding::check_model_v3(f.file, codec.fingerprint());
  f.kind->check_model(codec.model());
  if (!h.described) {
    f.description = f.kind->bare_description(codec.model());
    if (h.method == coding::Method::kStored && f.file.parts[0].size != f.description.num_values() * f.description.value_bytes())
      throw coding::FormatError("corrupted: " + std::to_string(f.file.parts[0].size) + " stored bytes for a " +
                                std::to_string(f.description.num_values()) + "-value item");
  }
  if (h.method != coding::Method::kModel) return;
  f.kind->check_coded_content(f.description, codec.model());
  const uint64_t N = f.description.num_values(), D = static_cast<uint64_t>(codec.num_values());
  const uint64_t chunks = (N + D - 1) / D;
  if (f.file.parts.size() != chunks)
    throw coding::FormatError("corrupted: " + std::to_string(f.file.parts.size()) + " chunks for " + std::to_string(N) +
                              " values (" + std::to_string(chunks) + " expected)");
  // The model's own range: every stage needs a call, and no stage more calls than steps.
  const int64_t stages = f.kind->word_map(f.description, codec).stages;
  const uint64_t S = static_cast<uint64_t>(stages > 0 ? stages : codec.num_stages());
  if (h.budget < S || h.budget > S * D)
    throw coding::FormatError("corrupted: budget " + std::to_string(h.budget) + " outside " + std::to_string(S) + ".." +
                              std::to_string(S * D) + " for this model");
}

std::vector<Decoded> decode_files(const std::vector<const Opened*>& files, const engine::EngineCodec* codec,
                                  size_t batch, const Progress& on_progress) {
  if (batch < 1) throw std::invalid_argument("batch must be at least 1");
  std::vector<Decoded> out(files.size());
  size_t done = 0;
  struct Key {
    int64_t budget, stages;
    bool operator<(const Key& o) const { return budget != o.budget ? budget < o.budget : stages < o.stages; }
  };
  std::map<Key, std::vector<Chunk>> groups;  // model-coded chunks that can share calls
  std::vector<kinds::WordMap> maps(files.size());
  for (size_t s = 0; s < files.size(); ++s) {
    const Opened& f = *files[s];
    auto& o = out[s];
    o.content.description = f.description;
    const auto N = static_cast<size_t>(f.description.num_values());
    try {
      switch (f.file.header.method) {
        case coding::Method::kStored: {
          const uint8_t* p = f.file.parts[0].data;
          const bool wide = f.description.value_bytes() == 2;
          o.content.words.resize(N);
          const uint32_t bits = f.description.value_bits;
          for (size_t i = 0; i < N; ++i) {
            const auto w = wide ? static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)) : uint16_t{p[i]};
            if (bits < 16 && (w >> bits) != 0)
              throw coding::FormatError("corrupted: stored value " + std::to_string(w) + " has more than " +
                                        std::to_string(bits) + " bits");
            o.content.words[i] = w;
          }
          break;
        }
        case coding::Method::kNative:
          o.content.words = f.kind->decode_native(f.file.parts, f.description);
          if (o.content.words.size() != N) throw coding::FormatError("corrupted: the native codec gave another size");
          break;
        case coding::Method::kModel: {
          if (!codec) throw std::logic_error("decode_files: a model-coded file without the model");
          maps[s] = f.kind->word_map(f.description, *codec);
          o.content.words.assign(N, 0);
          auto& g = groups[{f.file.header.budget, maps[s].stages}];
          const auto list = chunks_of(s, N, static_cast<uint64_t>(codec->num_values()));
          g.insert(g.end(), list.begin(), list.end());
          continue;  // progress counts its chunks as they decode
        }
      }
    } catch (const std::exception& e) {
      o.error = e.what();
      o.content.words.clear();
    }
    done += chunk_count(f);
    if (on_progress) on_progress(done);
  }
  for (const auto& [key, list] : groups)
    for (size_t c0 = 0; c0 < list.size(); c0 += batch) {
      const size_t n = std::min(batch, list.size() - c0);
      std::vector<engine::EngineCodec::Payload> payloads;
      for (size_t k = 0; k < n; ++k) {
        const Chunk& ch = list[c0 + k];
        const Opened& f = *files[ch.source];
        const auto& map = maps[ch.source];
        const uint32_t bits = f.description.value_bits;
        engine::EngineCodec::Payload p;
        p.data = f.file.parts[ch.index].data;
        p.size = f.file.parts[ch.index].size;
        p.length = static_cast<int64_t>(ch.length);
        p.check = [&f, codec, map, bits, ch](const std::vector<uint16_t>& v) {
          std::vector<uint16_t> w(ch.length);
          for (size_t j = 0; j < ch.length; ++j) w[j] = map.to_word(v[j]);
          const auto b = coding::value_bytes(w.data(), w.size(), bits);
          return coding::chunk_check(codec->fingerprint(), f.file.header_bytes, ch.index, b.data(), b.size());
        };
        payloads.push_back(std::move(p));
      }
      const auto decoded = codec->decode_batch(payloads, key.budget, key.stages);
      for (size_t k = 0; k < n; ++k) {
        const Chunk& ch = list[c0 + k];
        auto& o = out[ch.source];
        if (!o.error.empty()) continue;
        const size_t total = chunk_count(*files[ch.source]);
        const std::string where = total == 1 ? "" : "chunk " + std::to_string(ch.index) + " of " + std::to_string(total) + ": ";
        if (!decoded[k].error.empty()) {
          o.error = where + decoded[k].error;
          continue;
        }
        const auto& map = maps[ch.source];
        for (size_t j = 0; j < ch.length; ++j) {
          const uint16_t v = decoded[k].values[j], w = map.to_word(v);
          if (map.to_model(w) != v) {
            o.error = where + "value " + std::to_string(v) + " is no word of this file";
            break;
          }
          o.content.words[ch.begin + j] = w;
        }
      }
      done += n;
      if (on_progress) on_progress(done);
    }
  for (auto& o : out)
    if (!o.error.empty()) o.content.words.clear();
  return out;
}

}  // namespace ardm::codec
