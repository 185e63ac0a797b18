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

std::vector<uint8_t> compress_bytes(const std::vector<uint8_t>& data, const engine::EngineCodec& codec, int64_t budget,
                                    size_t batch, const std::string& method, ByteFileStats* stats,
                                    const std::function<void(size_t, size_t)>& on_progress) {
  check_byte_model(codec.model());
  if (method != "auto" && method != "model" && method != "stored")
    throw std::invalid_argument("a byte stream is coded by the model or stored, not by '" + method + "'");
  if (batch < 1) throw std::invalid_argument("batch must be at least 1");
  const size_t N = data.size(), D = static_cast<size_t>(codec.num_values());
  const size_t chunks = (N + D - 1) / D;
  ByteFileStats local;
  ByteFileStats& st = stats ? *stats : local;
  st = ByteFileStats{};
  st.chunks = chunks;

  // Stored: the bytes and a CRC of the whole file.
  const auto stored_head = coding::encode_header(bytes_header(coding::Method::kStored, codec.fingerprint(), N, 0), false);
  auto stored = coding::assemble_file(stored_head, coding::Method::kStored, false, {data});
  if (method == "stored" || N == 0) {
    st.method = coding::Method::kStored;
    return stored;
  }
  const bool chunked = chunks != 1;
  const auto head = coding::encode_header(bytes_header(coding::Method::kModel, codec.fingerprint(), N, budget), chunked);
  std::vector<std::vector<uint8_t>> payloads(chunks);
  for (size_t c0 = 0; c0 < chunks; c0 += batch) {
    const size_t n = std::min(batch, chunks - c0);
    std::vector<std::vector<uint16_t>> values(n, std::vector<uint16_t>(D, 0));
    std::vector<const uint16_t*> ptrs;
    std::vector<int64_t> lengths;
    for (size_t k = 0; k < n; ++k) {
      const size_t begin = (c0 + k) * D, len = std::min(D, N - begin);
      std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(begin), len, values[k].begin());
      ptrs.push_back(values[k].data());
      lengths.push_back(static_cast<int64_t>(len));
    }
    const auto encoded = codec.encode_batch(ptrs, budget, lengths);
    for (size_t k = 0; k < n; ++k) {
      const size_t i = c0 + k, begin = i * D;
      payloads[i] = coding::encode_checked(encoded[k].symbols,
                                           check_of(codec, head, i, data.data() + begin, static_cast<size_t>(lengths[k])));
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

std::vector<uint8_t> decompress_bytes(const coding::ParsedFileV3& f, const engine::EngineCodec* codec_ptr, size_t batch,
                                      const std::function<void(size_t, size_t)>& on_progress) {
  if (!holds_bytes(f)) throw coding::FormatError("this file holds no byte stream");
  if (batch < 1) throw std::invalid_argument("batch must be at least 1");
  const auto& h = f.header;
  const auto& d = h.description;
  if (d.value_bits != 8 || d.shape.size() != 1) throw coding::FormatError("corrupted: a byte stream of 8-bit values has rank 1");
  const uint64_t N = d.shape[0];
  if (h.method == coding::Method::kStored) {
    if (f.parts.size() != 1 || f.parts[0].size != N)
      throw coding::FormatError("corrupted: " + std::to_string(f.parts.empty() ? 0 : f.parts[0].size) +
                                " stored bytes for a stream of " + std::to_string(N));
    return std::vector<uint8_t>(f.parts[0].data, f.parts[0].data + N);
  }
  if (h.method != coding::Method::kModel) throw coding::FormatError("corrupted: a byte stream is coded by the model or stored");
  if (!codec_ptr) throw std::invalid_argument("decompress_bytes: a model-coded file needs the model");
  const engine::EngineCodec& codec = *codec_ptr;
  check_byte_model(codec.model());
  coding::check_model_v3(f, codec.fingerprint());
  const uint64_t D = static_cast<uint64_t>(codec.num_values());
  const uint64_t chunks = (N + D - 1) / D;
  if (f.parts.size() != chunks)
    throw coding::FormatError("corrupted: " + std::to_string(f.parts.size()) + " chunks for a stream of " +
                              std::to_string(N) + " bytes (" + std::to_string(chunks) + " expected)");
  const int64_t S = codec.num_stages();
  if (h.budget < static_cast<uint64_t>(S) || h.budget > static_cast<uint64_t>(S) * D)
    throw coding::FormatError("corrupted: budget " + std::to_string(h.budget) + " outside " + std::to_string(S) + ".." +
                              std::to_string(static_cast<uint64_t>(S) * D) + " for this model");
  std::vector<uint8_t> out(static_cast<size_t>(N));
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
      p.check = [&f, &codec, i, len](const std::vector<uint16_t>& v) {
        std::vector<uint8_t> b(len);
        for (size_t j = 0; j < len; ++j) b[j] = static_cast<uint8_t>(v[j]);  // values below K = 256
        return check_of(codec, f.header_bytes, i, b.data(), len);
      };
      payloads.push_back(std::move(p));
    }
    const auto decoded = codec.decode_batch(payloads, h.budget);
    for (size_t k = 0; k < n; ++k) {
      const size_t i = c0 + k;
      if (!decoded[k].error.empty())
        throw coding::CodingError("chunk " + std::to_string(i) + " of " + std::to_string(chunks) + ": " + decoded[k].error);
      const size_t len = static_cast<size_t>(payloads[k].length);
      for (size_t j = 0; j < len; ++j) {
        if (decoded[k].values[j] > 255) throw coding::CodingError("chunk " + std::to_string(i) + ": a value above 255");
        out[i * D + j] = static_cast<uint8_t>(decoded[k].values[j]);
      }
    }
    if (on_progress) on_progress(c0 + n, chunks);
  }
  return out;
}

}  // namespace ardm
