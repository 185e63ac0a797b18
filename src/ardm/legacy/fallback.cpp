#include "ardm/legacy/fallback.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "ardm/codec/stream.h"
#include "ardm/coding/rans.h"
#include "ardm/engine/model_file.h"
#include "ardm/kinds/image/image.h"
#include "ardm/legacy/codec.h"
#include "ardm/legacy/format_v12.h"
#include "ardm/train/model.h"

#ifndef ARDM_DEFAULT_CHECKPOINT
#define ARDM_DEFAULT_CHECKPOINT ""
#endif

namespace fs = std::filesystem;

namespace ardm::legacy {

std::string resolve_checkpoint(const std::string& flag) {
  if (!flag.empty()) {
    std::ifstream f(flag, std::ios::binary);
    uint8_t head[8] = {};
    f.read(reinterpret_cast<char*>(head), 8);
    return f.gcount() == 8 && !engine::is_model_file(head, 8) ? flag : "";
  }
  if (const char* env = std::getenv("ARDM_CHECKPOINT"); env && *env) return env;
  const std::string bundled = ARDM_DEFAULT_CHECKPOINT;
  return !bundled.empty() && fs::exists(bundled) ? bundled : "";
}

ImageFallback::ImageFallback(std::string checkpoint, int threads) : checkpoint_(std::move(checkpoint)), threads_(threads) {}
ImageFallback::~ImageFallback() = default;

std::vector<std::vector<uint16_t>> decode_images(const std::vector<uint8_t>& file, const Codec& codec, int threads) {
  const auto model_shape = codec.shape();
  const std::vector<int64_t> shape(model_shape.begin(), model_shape.end());
  const kinds::ImageKind image;
  std::vector<std::vector<uint16_t>> values;  // per image
  std::function<void(int64_t)> decode_one;
  legacy::ParsedFile v12;
  codec::Opened v3;
  if (coding::file_version(file.data(), file.size()) < 3) {
    v12 = legacy::read_file(file.data(), file.size());
    legacy::check_model(v12, codec.process_code(), codec.legacy_fingerprint());
    if (v12.header.shape != model_shape) throw coding::FormatError("corrupted: the shape does not match the model's");
    values.resize(v12.items.size());
    decode_one = [&](int64_t i) {
      const auto& it = v12.items[static_cast<size_t>(i)];
      auto v = codec.decode_legacy(it.payload, it.payload_size, v12.header.budget);
      std::vector<uint8_t> bytes(v.begin(), v.end());
      legacy::check_item_crc(v12, it, bytes.data(), bytes.size());
      values[static_cast<size_t>(i)] = std::move(v);
    };
  } else {
    v3 = codec::open_file(file.data(), file.size());
    if (v3.kind != &kinds::for_bare_files()) throw coding::FormatError("wrong model: LibTorch's codec made image files only");
    coding::check_model_v3(v3.file, codec.fingerprint());
    if (!v3.file.header.described) v3.description = image.bare_description_of(shape);
    if (v3.file.header.method != coding::Method::kModel) {  // stored or native, made beside this model
      auto d = codec::decode_files({&v3}, nullptr, 1);
      if (!d[0].error.empty()) throw coding::CodingError(d[0].error);
      const size_t n = image.items(v3.description), per = d[0].content.words.size() / n;
      for (size_t i = 0; i < n; ++i)
        values.emplace_back(d[0].content.words.begin() + static_cast<std::ptrdiff_t>(i * per),
                            d[0].content.words.begin() + static_cast<std::ptrdiff_t>((i + 1) * per));
      return values;
    }
    image.check_coded_shape(v3.description, shape);
    values.resize(image.items(v3.description));
    if (v3.file.parts.size() != values.size()) throw coding::FormatError("corrupted: a chunk per image expected");
    decode_one = [&](int64_t i) {
      const auto& part = v3.file.parts[static_cast<size_t>(i)];
      values[static_cast<size_t>(i)] =
          codec.decode(part.data, part.size, v3.file.header.budget, [&](const std::vector<uint16_t>& v) {
            const auto b = coding::value_bytes(v.data(), v.size(), 8);
            return coding::chunk_check(codec.fingerprint(), v3.file.header_bytes, static_cast<uint64_t>(i), b.data(),
                                       b.size());
          });
    };
  }
  const auto errors = run_codec_workers(static_cast<int64_t>(values.size()), threads, decode_one);
  for (const auto& e : errors)
    if (!e.empty()) throw coding::CodingError(e);
  return values;
}

std::vector<uint8_t> images_file(const Codec& codec, const std::vector<std::vector<uint16_t>>& images,
                                 const std::vector<engine::ItemCoder::Encoded>& encoded, int64_t budget) {
  const auto s = codec.shape();
  coding::Header h;
  h.model_id = static_cast<uint16_t>(codec.fingerprint());
  h.described = images.size() > 1;
  if (h.described) {  // {N, C, H, W}
    h.description = kinds::ImageKind().bare_description_of(std::vector<int64_t>(s.begin(), s.end()));
    h.description.shape.insert(h.description.shape.begin(), images.size());
  }
  h.budget = static_cast<uint32_t>(budget);
  const bool chunked = images.size() > 1;
  const auto head = coding::encode_header(h, chunked);
  std::vector<std::vector<uint8_t>> parts;
  for (size_t i = 0; i < images.size(); ++i) {
    const auto b = coding::value_bytes(images[i].data(), images[i].size(), 8);
    parts.push_back(coding::encode_checked(encoded[i].symbols, coding::chunk_check(codec.fingerprint(), head, i, b.data(), b.size())));
  }
  return coding::assemble_file(head, coding::Method::kModel, chunked, parts);
}

kinds::Content ImageFallback::operator()(const std::vector<uint8_t>& file, const coding::FormatError& engine_error) {
  if (checkpoint_.empty()) throw engine_error;
  if (!codec_) {
    model_ = std::make_unique<Model>(load_model(checkpoint_));
    codec_ = std::make_unique<Codec>(*model_);
  }
  std::vector<std::vector<uint16_t>> values;
  try {
    values = decode_images(file, *codec_, threads_);
  } catch (const coding::FormatError&) {
    throw engine_error;  // this checkpoint is not the file's model either: say what the engine said
  } catch (const coding::CodingError& e) {
    throw coding::CodingError(std::string("corrupted: ") + e.what() +
                              " (a damaged file, or one made by a build or machine that computes differently)");
  }
  std::vector<std::vector<uint8_t>> planar;
  for (const auto& v : values) {
    std::vector<uint8_t> p(v.size());
    for (size_t k = 0; k < v.size(); ++k) {
      if (v[k] > 255) throw coding::CodingError("corrupted: a decoded value exceeds 8 bits");
      p[k] = static_cast<uint8_t>(v[k]);
    }
    planar.push_back(std::move(p));
  }
  const auto s = codec_->shape();
  return kinds::images_content(planar, std::vector<int64_t>(s.begin(), s.end()));
}

}  // namespace ardm::legacy
