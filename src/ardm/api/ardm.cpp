// The C API (ardm.h) on the stream codec's jobs (codec/files.h), kept in memory: the same
// functions that make and read the CLI's files, so the bytes are the CLI's.
#include "ardm/api/ardm.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "ardm/codec/files.h"
#include "ardm/coding/format.h"
#include "ardm/coding/rans.h"
#include "ardm/core/schedule_dp.h"
#include "ardm/engine/codec.h"
#include "ardm/engine/model_file.h"
#include "ardm/kinds/audio/wav.h"
#include "ardm/kinds/image/png.h"
#include "ardm/kinds/kind.h"

#ifndef ARDM_VERSION
#define ARDM_VERSION "0.0.0"
#endif

struct ardm_data {
  const ardm::kinds::Kind* kind = nullptr;
  std::vector<std::vector<uint8_t>> files;  // as `ardm decompress` writes them
  // ardm_data_array's arrays, made on first use (under `mutex`: handles are shared by threads).
  std::mutex mutex;
  std::map<size_t, std::vector<uint8_t>> arrays;
  std::map<size_t, ardm_array> array_of;
};

struct ardm_model {
  std::unique_ptr<ardm::engine::EngineCodec> codec;
  std::string kind;
};

namespace {

using ardm::codec::FileOptions;
using ardm::codec::Job;
using ardm::codec::Models;

thread_local std::string last_error;

// An error with its status, thrown inside the API and turned into a return value at its edge.
struct Failure : std::runtime_error {
  ardm_status status;
  Failure(ardm_status s, const std::string& what) : std::runtime_error(what), status(s) {}
};

// Runs `body`, setting the thread's error message; exceptions become statuses.
template <class F>
ardm_status guarded(F&& body) {
  try {
    body();
    last_error.clear();
    return ARDM_OK;
  } catch (const Failure& f) {
    last_error = f.what();
    return f.status;
  } catch (const ardm::coding::FormatError& e) {
    last_error = e.what();
    return std::string(e.what()).rfind("wrong model", 0) == 0 ? ARDM_ERROR_MODEL : ARDM_ERROR_CORRUPT;
  } catch (const ardm::coding::CodingError& e) {
    last_error = std::string("corrupted: ") + e.what();
    return ARDM_ERROR_CORRUPT;
  } catch (const std::invalid_argument& e) {
    last_error = e.what();
    return ARDM_ERROR_INVALID;
  } catch (const std::bad_alloc&) {
    last_error = "out of memory";
    return ARDM_ERROR_INTERNAL;
  } catch (const std::exception& e) {
    last_error = e.what();
    return ARDM_ERROR_INTERNAL;
  }
}

void need(bool ok, const std::string& what) {
  if (!ok) throw Failure(ARDM_ERROR_INVALID, what);
}

// Every model file read once per process, shared by all calls (the engine's models are immutable).
std::shared_ptr<const ardm::engine::EngineModel> load_model(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const ardm::engine::EngineModel>> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  auto& m = loaded[path];
  if (!m) {
    try {
      m = std::make_shared<const ardm::engine::EngineModel>(ardm::engine::read_model(path));
    } catch (const std::exception& e) {
      loaded.erase(path);
      throw Failure(ARDM_ERROR_MODEL, e.what());
    }
  }
  return m;
}

FileOptions file_options(const ardm_options* given) {
  ardm_options o;
  ardm_options_init(&o);
  if (given) o = *given;
  need(o.threads >= 0 && o.budget >= 0 && o.level >= 0 && o.level <= 9,
       "threads and budget must not be negative, and level is 0..9");
  FileOptions f;
  f.program = "ardm";
  f.model = o.model ? o.model : "";
  f.load = load_model;
  f.quiet = true;
  f.threads = std::max(1, o.threads);
  if (o.budget > 0) f.budget = o.budget;
  f.level = o.level;
  f.method = o.method ? o.method : "auto";
  return f;
}

// The model of a kind for `models`, its failures as ARDM_ERROR_MODEL (or INVALID for a budget).
const ardm::engine::EngineCodec& model_for(Models& models, const ardm::kinds::Kind& kind) {
  try {
    return models.get(kind);
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const Failure&) {
    throw;
  } catch (const std::exception& e) {
    throw Failure(ARDM_ERROR_MODEL, e.what());
  }
}

std::vector<uint8_t> compress_bytes(const std::vector<uint8_t>& input, const ardm_options* given) {
  const FileOptions o = file_options(given);
  Job job;
  job.label = "input";
  if (given && given->kind) {
    job.kind = ardm::kinds::by_name(given->kind);
    if (!job.kind) {
      std::string names;
      for (const auto* k : ardm::kinds::all()) names += std::string(names.empty() ? "" : ", ") + k->name();
      throw Failure(ARDM_ERROR_INVALID, std::string("unknown kind '") + given->kind + "' (kinds: " + names + ")");
    }
  } else {
    job.kind = &ardm::kinds::for_input("", input.data(), std::min<size_t>(input.size(), 32));
  }
  ardm::codec::check_method(*job.kind, o.method);
  Models models(o, true);
  const auto& codec = model_for(models, *job.kind);
  try {
    job.content = job.kind->read(input, "input", codec.model());
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    throw Failure(ARDM_ERROR_INPUT, e.what());
  }
  job.bytes_in = input.size();
  std::vector<Job> jobs(1);
  jobs[0] = std::move(job);
  ardm::codec::run_compress(jobs, o, models);
  if (!jobs[0].error.empty()) throw Failure(ARDM_ERROR_INVALID, jobs[0].error);
  return std::move(jobs[0].file);
}

void hand_out(std::vector<uint8_t>&& bytes, ardm_buffer* out) {
  auto* p = static_cast<uint8_t*>(std::malloc(std::max<size_t>(bytes.size(), 1)));
  if (!p) throw std::bad_alloc();
  std::memcpy(p, bytes.data(), bytes.size());
  out->data = p;
  out->size = bytes.size();
}

uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// 16-bit values between WAV's little-endian order and the machine's (the same swap both ways).
void swap_unless_little_endian(uint8_t* p, size_t bytes) {
  const uint16_t one = 1;
  if (*reinterpret_cast<const uint8_t*>(&one) == 1) return;
  for (size_t i = 0; i + 1 < bytes; i += 2) std::swap(p[i], p[i + 1]);
}

void put_word(std::vector<uint8_t>& b, uint32_t w) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(w >> (8 * i)));
}

}  // namespace

extern "C" {

const char* ardm_last_error(void) { return last_error.c_str(); }

const char* ardm_version(void) { return ARDM_VERSION; }

ardm_status ardm_set_models_dir(const char* dir) {
  return guarded([&] { ardm::kinds::set_models_dir(dir ? dir : ""); });
}

ardm_status ardm_bundled_model(const char* kind, const char** path) {
  static thread_local std::string found;
  return guarded([&] {
    need(kind && path, "ardm_bundled_model: null argument");
    *path = nullptr;
    const auto* k = ardm::kinds::by_name(kind);
    need(k != nullptr, std::string("unknown kind '") + kind + "'");
    try {
      found = ardm::codec::model_path(*k, "");
    } catch (const std::exception& e) {
      throw Failure(ARDM_ERROR_MODEL, e.what());
    }
    *path = found.c_str();
  });
}

void ardm_buffer_free(ardm_buffer* buffer) {
  if (!buffer) return;
  std::free(buffer->data);
  buffer->data = nullptr;
  buffer->size = 0;
}

void ardm_options_init(ardm_options* options) {
  if (options) *options = ardm_options{nullptr, nullptr, nullptr, 0, 0, 0};
}

ardm_status ardm_compress(const void* data, size_t size, const ardm_options* options, ardm_buffer* out) {
  return guarded([&] {
    need(out != nullptr && (data != nullptr || size == 0), "ardm_compress: null output, or null data of nonzero size");
    *out = ardm_buffer{nullptr, 0};
    const auto* p = static_cast<const uint8_t*>(data);
    hand_out(compress_bytes(std::vector<uint8_t>(p, p + size), options), out);
  });
}

ardm_status ardm_compress_array(const ardm_array* a, const ardm_options* options, ardm_buffer* out) {
  return guarded([&] {
    need(a != nullptr && out != nullptr && a->values != nullptr, "ardm_compress_array: null argument");
    *out = ardm_buffer{nullptr, 0};
    need(a->rank >= 1 && a->rank <= 3, "an array of rank 1, 2 or 3");
    for (int i = 0; i < a->rank; ++i) need(a->shape[i] >= 1, "an array with no zero dimension");
    const bool audio = a->dtype == ARDM_INT16 || (options && options->kind && std::string(options->kind) == "audio");
    std::vector<uint8_t> file;
    if (audio) {
      need(a->dtype == ARDM_INT16 || a->dtype == ARDM_UINT8, "audio is int16 or uint8 samples");
      need(a->rank <= 2, "audio is [frames] or [frames, channels]");
      need(a->sample_rate >= 1, "audio needs its sample rate");
      const uint64_t frames = a->shape[0], channels = a->rank == 2 ? a->shape[1] : 1;
      need(channels <= 65535, "at most 65,535 audio channels");
      const uint32_t bits = a->dtype == ARDM_INT16 ? 16 : 8;
      const uint64_t bytes = frames * channels * (bits / 8);
      file = ardm::kinds::plain_wav_header(static_cast<uint32_t>(channels), bits, a->sample_rate, bytes, 0);
      need(!file.empty(), "audio too long for a WAV file");
      const auto* v = static_cast<const uint8_t*>(a->values);
      const size_t header = file.size();
      file.insert(file.end(), v, v + bytes);
      if (bits == 16) swap_unless_little_endian(file.data() + header, bytes);  // WAV's order
    } else {
      need(a->dtype == ARDM_UINT8 || a->dtype == ARDM_UINT16, "an image is uint8 or uint16 pixels (int16: audio)");
      need(a->rank >= 2, "an image is [height, width] or [height, width, channels]");
      const uint64_t c = a->rank == 3 ? a->shape[2] : 1;
      need(c >= 1 && c <= 4, "an image has 1 to 4 channels (gray, gray and alpha, RGB, RGBA)");
      need(a->shape[0] <= ardm::data::kMaxPngAnySide && a->shape[1] <= ardm::data::kMaxPngAnySide,
           "an image of at most 65,535 x 65,535 pixels");
      ardm::data::PngImage img;
      img.color_type = c == 1 ? 0 : c == 2 ? 4 : c == 3 ? 2 : 6;
      img.bit_depth = a->dtype == ARDM_UINT8 ? 8 : 16;
      img.sample_bits = img.bit_depth;
      img.height = static_cast<int64_t>(a->shape[0]);
      img.width = static_cast<int64_t>(a->shape[1]);
      img.channels = static_cast<int64_t>(c);
      const size_t n = static_cast<size_t>(a->shape[0] * a->shape[1] * c);
      img.samples.resize(n);
      if (a->dtype == ARDM_UINT8) {
        const auto* v = static_cast<const uint8_t*>(a->values);
        std::copy(v, v + n, img.samples.begin());
      } else {
        const auto* v = static_cast<const uint16_t*>(a->values);
        std::copy(v, v + n, img.samples.begin());
      }
      file = ardm::data::encode_png_any(img, "array");
    }
    hand_out(compress_bytes(file, options), out);
  });
}

ardm_status ardm_decompress(const void* data, size_t size, const ardm_options* options, ardm_data** out) {
  return guarded([&] {
    need(out != nullptr && (data != nullptr || size == 0), "ardm_decompress: null output, or null data of nonzero size");
    *out = nullptr;
    const FileOptions o = file_options(options);
    Models models(o, false);
    std::vector<Job> jobs(1);
    Job& job = jobs[0];
    job.label = "input";
    const auto* p = static_cast<const uint8_t*>(data);
    job.file.assign(p, p + size);
    try {
      ardm::codec::open_job(job, o, models);
    } catch (const ardm::coding::FormatError&) {
      throw;
    } catch (const std::invalid_argument&) {
      throw;
    } catch (const std::exception& e) {
      throw Failure(ARDM_ERROR_MODEL, e.what());
    }
    ardm::codec::run_decompress(jobs, std::vector<std::vector<std::string>>(1), o);
    if (!job.error.empty())
      throw Failure(job.error.rfind("corrupted", 0) == 0 ? ARDM_ERROR_CORRUPT : ARDM_ERROR_INTERNAL, job.error);
    auto d = std::make_unique<ardm_data>();
    d->kind = job.kind;
    const ardm::kinds::WriteOptions w;
    const size_t n = job.kind->output_files(job.content.description, w);
    for (size_t i = 0; i < n; ++i)
      d->files.push_back(job.kind->write(job.content, i, job.kind->output_file_name(i, n, w), w));
    *out = d.release();
  });
}

void ardm_data_free(ardm_data* data) { delete data; }

const char* ardm_data_kind(const ardm_data* data) { return data && data->kind ? data->kind->name() : ""; }

size_t ardm_data_count(const ardm_data* data) { return data ? data->files.size() : 0; }

ardm_status ardm_data_file(const ardm_data* data, size_t i, const uint8_t** bytes, size_t* size) {
  return guarded([&] {
    need(data && bytes && size, "ardm_data_file: null argument");
    need(i < data->files.size(), "file " + std::to_string(i) + " of " + std::to_string(data->files.size()));
    *bytes = data->files[i].data();
    *size = data->files[i].size();
  });
}

ardm_status ardm_data_array(const ardm_data* data_in, size_t i, ardm_array* out) {
  return guarded([&] {
    need(data_in && out, "ardm_data_array: null argument");
    auto* data = const_cast<ardm_data*>(data_in);  // the arrays are a cache
    need(i < data->files.size(), "item " + std::to_string(i) + " of " + std::to_string(data->files.size()));
    std::lock_guard<std::mutex> lock(data->mutex);
    if (auto it = data->array_of.find(i); it != data->array_of.end()) {
      *out = it->second;
      return;
    }
    const auto& file = data->files[i];
    const std::string kind = data->kind->name();
    ardm_array a{};
    std::vector<uint8_t> values;
    if (kind == "audio") {
      const auto w = ardm::kinds::parse_wav(file.data(), file.size(), "the decoded WAV");
      need(!w.is_float && (w.bits == 8 || w.bits == 16),
           "the audio is " + std::to_string(w.bits) + "-bit" + (w.is_float ? " float" : "") +
               ": only 8- and 16-bit integer samples make an array (take the WAV file's bytes)");
      const size_t width = w.bits / 8, n = static_cast<size_t>(w.frames) * w.channels * width;
      values.assign(file.begin() + static_cast<std::ptrdiff_t>(w.data_begin),
                    file.begin() + static_cast<std::ptrdiff_t>(w.data_begin + n));
      if (width == 2) swap_unless_little_endian(values.data(), values.size());  // the machine's order
      a.dtype = width == 2 ? ARDM_INT16 : ARDM_UINT8;
      a.rank = 2;
      a.shape[0] = w.frames, a.shape[1] = w.channels;
      a.sample_rate = w.rate;
    } else if (kind == "image" || kind == "photo") {
      const auto img = ardm::data::decode_png_any(file.data(), file.size(), "the decoded image");
      const bool wide = img.sample_bits > 8;
      values.resize(img.samples.size() * (wide ? 2 : 1));
      if (wide) std::memcpy(values.data(), img.samples.data(), values.size());
      else std::copy(img.samples.begin(), img.samples.end(), values.begin());
      a.dtype = wide ? ARDM_UINT16 : ARDM_UINT8;
      a.rank = 3;
      a.shape[0] = static_cast<uint64_t>(img.height), a.shape[1] = static_cast<uint64_t>(img.width);
      a.shape[2] = static_cast<uint64_t>(img.channels);
    } else {
      throw Failure(ARDM_ERROR_INVALID, kind + " data is bytes, not an array (take the file's bytes)");
    }
    auto& kept = data->arrays[i] = std::move(values);
    a.values = kept.data();
    data->array_of[i] = a;
    *out = a;
  });
}

ardm_status ardm_model_open(const char* path, int threads, ardm_model** out) {
  return guarded([&] {
    need(path && out, "ardm_model_open: null argument");
    need(threads >= 0, "threads must not be negative");
    *out = nullptr;
    auto m = std::make_unique<ardm_model>();
    m->codec = std::make_unique<ardm::engine::EngineCodec>(load_model(path), std::max(1, threads));
    try {
      m->kind = ardm::kinds::of_spec(m->codec->model().cfg.data).name();
    } catch (const std::exception&) {
      m->kind = "";
    }
    *out = m.release();
  });
}

void ardm_model_free(ardm_model* model) { delete model; }

ardm_status ardm_model_get_info(const ardm_model* model, ardm_model_info* out) {
  return guarded([&] {
    need(model && out, "ardm_model_get_info: null argument");
    const auto& c = *model->codec;
    ardm_model_info info{};
    std::snprintf(info.kind, sizeof info.kind, "%s", model->kind.c_str());
    info.values = c.num_values(), info.classes = c.num_classes(), info.stages = c.num_stages();
    info.context = c.context();
    const auto& shape = c.model().cfg.data.shape;
    info.rank = static_cast<int>(std::min<size_t>(shape.size(), 4));
    for (int k = 0; k < info.rank; ++k) info.shape[k] = shape[static_cast<size_t>(k)];
    info.fingerprint = c.fingerprint();
    *out = info;
  });
}

ardm_status ardm_model_code_length(const ardm_model* model, const uint16_t* values, size_t items, int64_t budget,
                                   double* bits) {
  return guarded([&] {
    need(model && bits && (values || items == 0), "ardm_model_code_length: null argument");
    const auto& c = *model->codec;
    c.check_budget(budget);
    const int64_t D = c.num_values(), K = c.num_classes();
    std::vector<const uint16_t*> ptrs;
    for (size_t i = 0; i < items; ++i) {
      const uint16_t* v = values + i * static_cast<size_t>(D);
      for (int64_t j = 0; j < D; ++j)
        need(v[j] < K, "item " + std::to_string(i) + ": value " + std::to_string(j) + " is " + std::to_string(v[j]) +
                           ", not below K = " + std::to_string(K));
      ptrs.push_back(v);
    }
    const auto enc = c.encode_batch(ptrs, budget);
    for (size_t i = 0; i < items; ++i) bits[i] = enc[i].model_bits;
  });
}

ardm_status ardm_model_schedule(const ardm_model* model, int64_t budget, int64_t* steps, size_t capacity,
                                size_t* count, double* predicted_bits_per_value) {
  return guarded([&] {
    need(model && count, "ardm_model_schedule: null argument");
    const auto& c = *model->codec;
    c.check_budget(budget);
    const auto& policies = c.policy(budget);
    size_t n = 0;
    for (const auto& p : policies) n += p.size();
    need(steps != nullptr && capacity >= n, "the schedule of budget " + std::to_string(budget) + " has " +
                                                std::to_string(n) + " steps; capacity " + std::to_string(capacity));
    const int64_t D = c.num_values();
    const auto& costs = c.model().costs;
    double total = 0;
    size_t k = 0;
    for (size_t s = 0; s < policies.size(); ++s) {
      for (int64_t t : policies[s]) steps[k++] = t;
      if (costs.size() >= (s + 1) * static_cast<size_t>(D))
        total += ardm::policy_cost({costs.begin() + static_cast<std::ptrdiff_t>(s) * D,
                                    costs.begin() + static_cast<std::ptrdiff_t>(s + 1) * D},
                                   policies[s]);
    }
    *count = n;
    if (predicted_bits_per_value) *predicted_bits_per_value = total;
  });
}

ardm_status ardm_model_sample(const ardm_model* model, size_t items, int64_t budget, uint64_t seed, uint16_t* out) {
  return guarded([&] {
    need(model && (out || items == 0), "ardm_model_sample: null argument");
    const auto& c = *model->codec;
    c.check_budget(budget);
    const int64_t D = c.num_values(), S = c.num_stages();
    // Each item decodes a stream of random words: a state in [2^62, 2^63), then one word for
    // every symbol at most (a symbol takes at most one renormalisation).
    const size_t words = static_cast<size_t>(D * S) + 2;
    std::vector<std::vector<uint8_t>> streams(items);
    std::vector<std::unique_ptr<ardm::coding::RansDecoder>> decoders;
    std::vector<ardm::engine::EngineCodec::Payload> payloads(items);
    uint64_t rng = seed;
    for (size_t i = 0; i < items; ++i) {
      auto& b = streams[i];
      b.reserve(8 + 4 * words);
      const uint64_t x = (uint64_t{1} << 62) | (splitmix64(rng) >> 2);
      put_word(b, static_cast<uint32_t>(x));
      put_word(b, static_cast<uint32_t>(x >> 32));
      for (size_t w = 0; w < words; ++w) put_word(b, static_cast<uint32_t>(splitmix64(rng)));
      decoders.push_back(std::make_unique<ardm::coding::RansDecoder>(b.data(), b.size(), ardm::coding::kDefaultPrecision));
      payloads[i].stream = decoders.back().get();  // unchecked: the row-shared stream's mode
    }
    const auto decoded = c.decode_batch(payloads, budget);
    for (size_t i = 0; i < items; ++i) {
      if (!decoded[i].error.empty()) throw Failure(ARDM_ERROR_INTERNAL, "sampling: " + decoded[i].error);
      std::copy(decoded[i].values.begin(), decoded[i].values.end(), out + i * static_cast<size_t>(D));
    }
  });
}

}  // extern "C"
