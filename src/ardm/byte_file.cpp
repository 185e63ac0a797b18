#include "ardm/byte_file.h"

#include <algorithm>
#include <stdexcept>

#include "ardm/coding/rans.h"

namespace ardm {
namespace {

coding::Header bytes_header(coding::Method method, uint32_t fingerprint, size_t n, int64_t budget) {
  coding::Header h;
  h.method = method;
  h.model_id = static_cast<uint16_t>(fingerprint);
  h.described = true;
  h.description.kind = coding::DataKind::kBytes;
  h.description.value_bits = 8;
  h.description.shape = {static_cast<uint64_t>(n)};
  h.budget = method == coding::Method::kModel ? static_cast<uint32_t>(budget) : 0;
  return h;
}

uint32_t check_of(const engine::EngineCodec& codec, const std::vector<uint8_t>& head, size_t chunk, const uint8_t* bytes,
                  size_t n) {
  return coding::chunk_check(codec.fingerprint(), head, chunk, bytes, n);
}

}  // namespace

void check_byte_model(const engine::EngineModel& m) {
  const auto& d = m.cfg.data;
  if (d.kind != "bytes" || d.shape.size() != 1 || d.num_classes != 256)
    throw std::runtime_error("this model codes " + (d.kind == "image" ? std::string("images") : d.kind + " data") +
                             ", not bytes: files other than PNG images need a byte-level text model");
}

namespace {

uint16_t identity(uint16_t v) { return v; }
constexpr WordMap kBytes{identity, identity, 0};

}  // namespace

std::vector<uint8_t> compress_bytes(const std::vector<uint8_t>& data, const engine::EngineCodec& codec, int64_t budget,
                                    size_t batch, const std::string& method, ByteFileStats* stats,
                                    const std::function<void(size_t, size_t)>& on_progress) {
  check_byte_model(codec.model());
  if (method != "auto" && method != "model" && method != "stored")
    throw std::invalid_argument("a byte stream is coded by the model or stored, not by '" + method + "'");
  const std::vector<uint16_t> words(data.begin(), data.end());
  return compress_stream(bytes_header(coding::Method::kModel, 0, data.size(), 0).description, words, kBytes, codec,
                         budget, batch, method, stats, on_progress);
}

std::vector<uint8_t> compress_stream(const coding::Description& description, const std::vector<uint16_t>& words,
                                     const WordMap& map, const engine::EngineCodec& codec, int64_t budget, size_t batch,
                                     const std::string& method, ByteFileStats* stats,
                                     const std::function<void(size_t, size_t)>& on_progress) {
  if (batch < 1) throw std::invalid_argument("batch must be at least 1");
  const size_t N = words.size(), D = static_cast<size_t>(codec.num_values());
  if (description.num_values() != N) throw std::logic_error("compress_stream: the description's shape is not the words'");
  const size_t chunks = (N + D - 1) / D, vb = description.value_bytes();
  ByteFileStats local;
  ByteFileStats& st = stats ? *stats : local;
  st = ByteFileStats{};
  st.chunks = chunks;
  const auto bytes = coding::value_bytes(words.data(), N, description.value_bits);

  coding::Header h;
  h.model_id = static_cast<uint16_t>(codec.fingerprint());
  h.described = true;
  h.description = description;
  // Stored: the words' bytes and a CRC of the whole file.
  h.method = coding::Method::kStored;
  auto stored = coding::assemble_file(coding::encode_header(h, false), coding::Method::kStored, false, {bytes});
  if (method == "stored" || N == 0) {
    st.method = coding::Method::kStored;
    return stored;
  }
  const bool chunked = chunks != 1;
  h.method = coding::Method::kModel;
  h.budget = static_cast<uint32_t>(budget);
  const auto head = coding::encode_header(h, chunked);
  std::vector<std::vector<uint8_t>> payloads(chunks);
  for (size_t c0 = 0; c0 < chunks; c0 += batch) {
    const size_t n = std::min(batch, chunks - c0);
    std::vector<std::vector<uint16_t>> values(n, std::vector<uint16_t>(D, 0));
    std::vector<const uint16_t*> ptrs;
    std::vector<int64_t> lengths;
    for (size_t k = 0; k < n; ++k) {
      const size_t begin = (c0 + k) * D, len = std::min(D, N - begin);
      for (size_t j = 0; j < len; ++j) values[k][j] = map.to_model(words[begin + j]);
      ptrs.push_back(values[k].data());
      lengths.push_back(static_cast<int64_t>(len));
    }
    const auto encoded = codec.encode_batch(ptrs, budget, lengths, map.stages);
    for (size_t k = 0; k < n; ++k) {
      const size_t i = c0 + k, begin = i * D;
      payloads[i] = coding::encode_checked(
          encoded[k].symbols, check_of(codec, head, i, bytes.data() + begin * vb, static_cast<size_t>(lengths[k]) * vb));
      st.model_bits += encoded[k].model_bits;
    }
    if (on_progress) on_progress(c0 + n, chunks);
  }
  auto model = coding::assemble_file(head, coding::Method::kModel, chunked, payloads);
  if (method == "auto" && stored.size() < model.size()) {
    st.method = coding::Method::kStored;
    return stored;
  }
  st.method = coding::Method::kModel;
  return model;
}

bool holds_bytes(const coding::ParsedFileV3& f) {
  return f.header.described && f.header.description.kind == coding::DataKind::kBytes;
}

std::vector<uint8_t> decompress_bytes(const coding::ParsedFileV3& f, const engine::EngineCodec* codec, size_t batch,
                                      const std::function<void(size_t, size_t)>& on_progress) {
  if (!holds_bytes(f)) throw coding::FormatError("this file holds no byte stream");
  const auto& d = f.header.description;
  if (d.value_bits != 8 || d.shape.size() != 1) throw coding::FormatError("corrupted: a byte stream of 8-bit values has rank 1");
  if (codec && f.header.method == coding::Method::kModel) check_byte_model(codec->model());
  const auto words = decompress_stream(f, kBytes, codec, batch, on_progress);
  std::vector<uint8_t> out(words.size());
  for (size_t i = 0; i < words.size(); ++i) {
    if (words[i] > 255) throw coding::CodingError("a byte stream decoded a value above 255");
    out[i] = static_cast<uint8_t>(words[i]);
  }
  return out;
}

std::vector<uint16_t> decompress_stream(const coding::ParsedFileV3& f, const WordMap& map,
                                        const engine::EngineCodec* codec_ptr, size_t batch,
                                        const std::function<void(size_t, size_t)>& on_progress) {
  if (batch < 1) throw std::invalid_argument("batch must be at least 1");
  const auto& h = f.header;
  const auto& d = h.description;
  if (!h.described) throw coding::FormatError("corrupted: a stream file without its description");
  const uint64_t N = d.num_values();
  const size_t vb = d.value_bytes();
  if (h.method == coding::Method::kStored) {
    if (f.parts.size() != 1 || f.parts[0].size != N * vb)
      throw coding::FormatError("corrupted: " + std::to_string(f.parts.empty() ? 0 : f.parts[0].size) +
                                " stored bytes for " + std::to_string(N) + " values of " + std::to_string(vb) + " byte(s)");
    std::vector<uint16_t> out(static_cast<size_t>(N));
    const uint8_t* p = f.parts[0].data;
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = vb == 1 ? p[i] : static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8));
    return out;
  }
  if (h.method != coding::Method::kModel) throw coding::FormatError("corrupted: a stream is coded by the model or stored");
  if (!codec_ptr) throw std::invalid_argument("decompress_stream: a model-coded file needs the model");
  const engine::EngineCodec& codec = *codec_ptr;
  coding::check_model_v3(f, codec.fingerprint());
  const uint64_t D = static_cast<uint64_t>(codec.num_values());
  const uint64_t chunks = (N + D - 1) / D;
  if (f.parts.size() != chunks)
    throw coding::FormatError("corrupted: " + std::to_string(f.parts.size()) + " chunks for a stream of " +
                              std::to_string(N) + " values (" + std::to_string(chunks) + " expected)");
  const int64_t S = map.stages > 0 ? map.stages : codec.num_stages();
  if (h.budget < static_cast<uint64_t>(S) || h.budget > static_cast<uint64_t>(S) * D)
    throw coding::FormatError("corrupted: budget " + std::to_string(h.budget) + " outside " + std::to_string(S) + ".." +
                              std::to_string(static_cast<uint64_t>(S) * D) + " for this model");
  std::vector<uint16_t> out(static_cast<size_t>(N));
  for (size_t c0 = 0; c0 < chunks; c0 += batch) {
    const size_t n = std::min<size_t>(batch, chunks - c0);
    std::vector<engine::EngineCodec::Payload> payloads;
    for (size_t k = 0; k < n; ++k) {
      const size_t i = c0 + k;
      const auto len = static_cast<size_t>(std::min<uint64_t>(D, N - i * D));
      engine::EngineCodec::Payload p;
      p.data = f.parts[i].data;
      p.size = f.parts[i].size;
      p.length = static_cast<int64_t>(len);
      p.check = [&f, &codec, &map, &d, i, len](const std::vector<uint16_t>& v) {
        std::vector<uint16_t> w(len);
        for (size_t j = 0; j < len; ++j) w[j] = map.to_word(v[j]);
        const auto b = coding::value_bytes(w.data(), len, d.value_bits);
        return check_of(codec, f.header_bytes, i, b.data(), b.size());
      };
      payloads.push_back(std::move(p));
    }
    const auto decoded = codec.decode_batch(payloads, h.budget, map.stages);
    for (size_t k = 0; k < n; ++k) {
      const size_t i = c0 + k;
      if (!decoded[k].error.empty())
        throw coding::CodingError("chunk " + std::to_string(i) + " of " + std::to_string(chunks) + ": " + decoded[k].error);
      const size_t len = static_cast<size_t>(payloads[k].length);
      for (size_t j = 0; j < len; ++j) {
        const uint16_t v = decoded[k].values[j], w = map.to_word(v);
        if (map.to_model(w) != v)
          throw coding::CodingError("chunk " + std::to_string(i) + ": value " + std::to_string(v) + " is no word of this file");
        out[i * D + j] = w;
      }
    }
    if (on_progress) on_progress(c0 + n, chunks);
  }
  return out;
}

}  // namespace ardm
