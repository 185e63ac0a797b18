#include "ardm/image_file.h"

#include <algorithm>
#include <map>

#include <stdexcept>

#if ARDM_HAVE_JXL
#include "ardm/data/jxl.h"
#else
// A decoder built without libjxl (a cross build) reads model-coded and stored files only.
namespace ardm::data {
[[noreturn]] inline std::vector<uint8_t> encode_jxl_lossless(const Image8&, int) {
  throw std::runtime_error("this build has no JPEG XL support (libjxl)");
}
[[noreturn]] inline Image8 decode_jxl(const uint8_t*, size_t, int64_t, int64_t, int64_t) {
  throw std::runtime_error("this build has no JPEG XL support (libjxl): the file holds a JPEG XL image");
}
}  // namespace ardm::data
#endif

namespace ardm {

std::vector<uint8_t> planar_values(const data::Image8& img) {
  const int64_t C = img.channels, HW = img.height * img.width;
  std::vector<uint8_t> v(img.pixels.size());
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < HW; ++i) v[static_cast<size_t>(c * HW + i)] = img.pixels[static_cast<size_t>(i * C + c)];
  return v;
}

data::Image8 image_of(const std::vector<uint8_t>& v, const std::vector<uint32_t>& shape) {
  data::Image8 img;
  img.channels = shape[0], img.height = shape[1], img.width = shape[2];
  const int64_t C = img.channels, HW = img.height * img.width;
  img.pixels.resize(v.size());
  for (int64_t c = 0; c < C; ++c)
    for (int64_t i = 0; i < HW; ++i) img.pixels[static_cast<size_t>(i * C + c)] = v[static_cast<size_t>(c * HW + i)];
  return img;
}

namespace {

// JPEG XL's slowest, smallest setting: the images the model codes are small.
constexpr int kJxlEffort = 9;

std::vector<uint8_t> narrow(const std::vector<uint16_t>& v) {
  std::vector<uint8_t> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] > 255) throw coding::FormatError("corrupted: a decoded value exceeds 8 bits");
    out[i] = static_cast<uint8_t>(v[i]);
  }
  return out;
}

coding::Description images_description(size_t count, const std::vector<uint32_t>& shape) {
  coding::Description d;
  d.kind = coding::DataKind::kImage8;
  d.shape = {count, shape[0], shape[1], shape[2]};
  return d;
}

}  // namespace

std::vector<uint8_t> image_file(coding::Method method, const ItemCoder& codec, const std::vector<std::vector<uint8_t>>& items,
                                const std::vector<ItemCoder::Encoded>& encoded, int64_t budget,
                                const std::vector<uint32_t>& shape) {
  coding::Header h;
  h.method = method;
  h.model_id = static_cast<uint16_t>(codec.fingerprint());
  h.described = items.size() > 1;
  if (h.described) h.description = images_description(items.size(), shape);
  h.budget = method == coding::Method::kModel ? static_cast<uint32_t>(budget) : 0;
  const bool chunked = items.size() > 1 && method != coding::Method::kStored;
  const auto head = coding::encode_header(h, chunked);
  std::vector<std::vector<uint8_t>> parts;
  std::vector<uint8_t> all;  // the stored file's values
  for (size_t i = 0; i < items.size(); ++i) {
    switch (method) {
      case coding::Method::kModel:
        parts.push_back(coding::encode_checked(
            encoded[i].symbols, coding::chunk_check(codec.fingerprint(), head, i, items[i].data(), items[i].size())));
        break;
      case coding::Method::kStored:
        all.insert(all.end(), items[i].begin(), items[i].end());
        break;
      case coding::Method::kJxl: {
        const auto img = image_of(items[i], shape);
        parts.push_back(data::encode_jxl_lossless(img, kJxlEffort));
        // The file's CRC covers the codestream, not the pixels: check the pixels here, once.
        if (data::decode_jxl(parts.back().data(), parts.back().size(), img.channels, img.height, img.width).pixels !=
            img.pixels)
          throw std::runtime_error("libjxl's lossless mode did not give back the exact pixels");
        break;
      }
    }
  }
  if (method == coding::Method::kStored) parts.push_back(all);
  return coding::assemble_file(head, method, chunked, parts);
}

std::pair<std::vector<uint8_t>, coding::Method> smallest_image_file(const ItemCoder& codec,
                                                                    const std::vector<std::vector<uint8_t>>& items,
                                                                    const std::vector<ItemCoder::Encoded>& encoded,
                                                                    int64_t budget, const std::vector<uint32_t>& shape) {
  std::pair<std::vector<uint8_t>, coding::Method> best;
  for (auto m : {coding::Method::kModel, coding::Method::kStored, coding::Method::kJxl}) {
    auto bytes = image_file(m, codec, items, encoded, budget, shape);
    if (best.first.empty() || bytes.size() < best.first.size()) best = {std::move(bytes), m};
  }
  return best;
}

ImageFile open_image_file(const std::vector<uint8_t>& bytes, const ItemCoder& codec, const std::vector<uint32_t>& shape) {
  ImageFile f;
  f.version = coding::file_version(bytes.data(), bytes.size());
  if (f.version < 3) {
    f.legacy = coding::read_file(bytes.data(), bytes.size());
    coding::check_model(f.legacy, codec.process_code(), codec.legacy_fingerprint());
    if (f.legacy.header.shape != shape) throw coding::FormatError("corrupted: the shape does not match the model's");
    f.count = f.legacy.items.size();
    f.method = "model (format " + std::to_string(f.version) + ")";
    return f;
  }
  f.v3 = coding::read_file_v3(bytes.data(), bytes.size());
  const auto& h = f.v3.header;
  f.method = coding::method_name(h.method);
  f.count = 1;
  if (h.described) {
    const auto& d = h.description;
    const std::vector<uint64_t> s = {shape[0], shape[1], shape[2]};
    if (d.kind != coding::DataKind::kImage8) throw coding::FormatError("this file holds no images; this build decompresses images");
    if (!std::equal(s.begin(), s.end(), d.shape.end() - 3))
      throw coding::FormatError("corrupted: its images are not of the model's shape");
    f.count = static_cast<size_t>(d.shape.size() == 4 ? d.shape[0] : 1);
  } else if (h.method == coding::Method::kStored && f.v3.parts[0].size != static_cast<size_t>(codec.num_values())) {
    throw coding::FormatError("corrupted: " + std::to_string(f.v3.parts[0].size) + " stored bytes for a " +
                              std::to_string(codec.num_values()) + "-value image");
  }
  // A stored or JPEG XL file that says what it holds needs no model; every other one does.
  if (h.method == coding::Method::kModel || !h.described) coding::check_model_v3(f.v3, codec.fingerprint());
  if (h.method == coding::Method::kModel) {
    if (f.v3.parts.size() != f.count)
      throw coding::FormatError("corrupted: " + std::to_string(f.v3.parts.size()) + " chunks for " +
                                std::to_string(f.count) + " images");
    // The model's own range: every stage needs a call, and no stage more calls than steps.
    const int64_t S = codec.num_stages(), D = codec.num_values();
    if (h.budget < S || h.budget > S * D)
      throw coding::FormatError("corrupted: budget " + std::to_string(h.budget) + " outside " + std::to_string(S) +
                                ".." + std::to_string(S * D) + " for this model");
  }
  return f;
}

std::vector<uint8_t> decode_image(const ImageFile& f, const ItemCoder& codec, size_t i, const std::vector<uint32_t>& shape) {
  if (f.version < 3) {
    const auto& it = f.legacy.items[i];
    auto v = narrow(codec.decode_legacy(it.payload, it.payload_size, f.legacy.header.budget));
    coding::check_item_crc(f.legacy, it, v.data(), v.size());
    return v;
  }
  const auto& part = f.v3.parts[f.v3.header.method == coding::Method::kStored ? 0 : i];
  const size_t D = static_cast<size_t>(codec.num_values());
  switch (f.v3.header.method) {
    case coding::Method::kModel:
      return narrow(codec.decode(part.data, part.size, f.v3.header.budget, [&](const std::vector<uint16_t>& v) {
        const auto b = coding::value_bytes(v.data(), v.size(), 8);
        return coding::chunk_check(codec.fingerprint(), f.v3.header_bytes, i, b.data(), b.size());
      }));
    case coding::Method::kStored:
      return std::vector<uint8_t>(part.data + i * D, part.data + (i + 1) * D);
    case coding::Method::kJxl: {
      const auto img = data::decode_jxl(part.data, part.size, shape[0], shape[1], shape[2]);
      return planar_values(img);
    }
  }
  throw coding::FormatError("unknown method");
}

std::vector<DecodedImage> decode_images(const std::vector<ImageRef>& refs, const engine::EngineCodec& codec,
                                        size_t batch, const std::function<void(size_t)>& on_progress) {
  if (batch < 1) throw std::invalid_argument("batch must be at least 1");
  std::vector<DecodedImage> out(refs.size());
  const auto shape = codec.shape();
  size_t done = 0;
  std::map<int64_t, std::vector<size_t>> by_budget;  // model-coded version-3 images
  for (size_t r = 0; r < refs.size(); ++r) {
    const auto& f = *refs[r].file;
    if (f.version >= 3 && f.v3.header.method == coding::Method::kModel) {
      by_budget[f.v3.header.budget].push_back(r);
      continue;
    }
    try {
      out[r].values = decode_image(f, codec, refs[r].index, shape);
    } catch (const std::exception& e) {
      out[r].error = e.what();
    }
    if (on_progress) on_progress(++done);
  }
  for (const auto& [budget, list] : by_budget)
    for (size_t b0 = 0; b0 < list.size(); b0 += batch) {
      const size_t n = std::min(batch, list.size() - b0);
      std::vector<engine::EngineCodec::Payload> payloads;
      for (size_t k = 0; k < n; ++k) {
        const auto& ref = refs[list[b0 + k]];
        const auto& f = *ref.file;
        const auto& part = f.v3.parts[ref.index];
        const size_t i = ref.index;
        payloads.push_back({part.data, part.size, [&f, i, &codec](const std::vector<uint16_t>& v) {
                              const auto b = coding::value_bytes(v.data(), v.size(), 8);
                              return coding::chunk_check(codec.fingerprint(), f.v3.header_bytes, i, b.data(), b.size());
                            }});
      }
      auto decoded = codec.decode_batch(payloads, budget);
      for (size_t k = 0; k < n; ++k) {
        auto& o = out[list[b0 + k]];
        o.error = decoded[k].error;
        if (o.error.empty()) {
          try {
            o.values = narrow(decoded[k].values);
          } catch (const std::exception& e) {
            o.error = e.what();
          }
        }
      }
      done += n;
      if (on_progress) on_progress(done);
    }
  return out;
}

std::vector<ItemCoder::Encoded> encode_images(const std::vector<const std::vector<uint8_t>*>& items,
                                              const engine::EngineCodec& codec, int64_t budget, size_t batch,
                                              const std::function<void(size_t)>& on_progress) {
  if (batch < 1) throw std::invalid_argument("batch must be at least 1");
  std::vector<ItemCoder::Encoded> out;
  out.reserve(items.size());
  const auto D = static_cast<size_t>(codec.num_values());
  for (size_t b0 = 0; b0 < items.size(); b0 += batch) {
    const size_t n = std::min(batch, items.size() - b0);
    std::vector<std::vector<uint16_t>> wide(n);
    std::vector<const uint16_t*> ptrs;
    for (size_t k = 0; k < n; ++k) {
      const auto& v = *items[b0 + k];
      if (v.size() != D) throw std::invalid_argument("an image has " + std::to_string(v.size()) + " values, not " + std::to_string(D));
      wide[k].assign(v.begin(), v.end());
      ptrs.push_back(wide[k].data());
    }
    for (auto& e : codec.encode_batch(ptrs, budget)) out.push_back(std::move(e));
    if (on_progress) on_progress(out.size());
  }
  return out;
}

}  // namespace ardm
