// Read me first: a data kind (image, text, audio) is everything ardm knows about one sort of
// file, in one folder (kinds/<kind>/) behind this interface. The codec (codec/), the command
// line and the file format look kinds up here and never switch on one:
//
//   input file --read--> Content (a description + the values as stored) --codec--> .ardm file
//   .ardm file --codec--> Content --write--> the original file(s)
//
// The codec cuts a content's values into chunks of the model's D values (a shorter last chunk
// is a tail), maps each stored value ("word") to a model value and back (WordMap), and codes
// the chunks with the engine; or stores the words; or, where the kind has one, hands the
// content to the kind's own classical codec ("native": lossless JPEG XL for images). The
// container (coding/format.h) knows a kind only by its code and whether it carries opaque
// container bytes.
//
// A new kind is a folder here with a class derived from Kind and one line in registry.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ardm/coding/format.h"
#include "ardm/core/config.h"

namespace ardm::engine {
class EngineCodec;
struct EngineModel;
}  // namespace ardm::engine

namespace ardm::kinds {

// What a file holds, as the codec codes it.
struct Content {
  coding::Description description;  // kind code, value bits, shape, container bytes
  std::vector<uint16_t> words;      // description.num_values() values as stored
};

// A stored value ("word": a byte, a 16-bit sample) <-> the model's value. A value v with
// to_model(to_word(v)) != v decodes as corruption. stages > 0: only the model's first `stages`
// stages code a value (8-bit audio under a 16-bit model: the stages of its top 8 bits).
struct WordMap {
  uint16_t (*to_model)(uint16_t word);
  uint16_t (*to_word)(uint16_t value);
  int64_t stages = 0;
};
uint16_t identity_word(uint16_t w);

// How a decompressed content becomes files (ardm-decode --raw: raw pixels instead of PNG).
struct WriteOptions {
  bool raw = false;
};

class Kind {
 public:
  virtual ~Kind() = default;

  // ---- identity
  virtual const char* name() const = 0;              // "image", "text", "audio"
  virtual uint32_t code() const = 0;                 // the file format's kind code (1..127)
  virtual bool container_bytes() const { return false; }  // descriptions carry a prefix and suffix
  // Every description code the kind reads (its own first) and whether it carries container bytes.
  virtual std::vector<std::pair<uint32_t, bool>> description_codes() const { return {{code(), container_bytes()}}; }
  virtual const char* unit() const = 0;              // "bpd", "bits per byte", "bits per sample"
  virtual const char* value_noun() const = 0;        // "byte", "sample", "pixel" (rates: "bytes/s")
  virtual const char* item_noun() const = 0;         // progress bars: "img", "chunk"

  // ---- models
  // True when a model of this data codes the kind (its DataSpec::kind and shape).
  virtual bool codes(const DataSpec& d) const = 0;
  // Throws std::runtime_error saying what the model codes and what the kind needs, unless codes().
  void check_model(const engine::EngineModel& m) const;
  virtual const char* data_noun() const = 0;         // what its models code: "images", "audio data"
  virtual std::string model_needed() const = 0;      // "not audio: WAV files need an audio model"
  virtual const char* model_variable() const = 0;   // ARDM_MODEL, ARDM_TEXT_MODEL, ARDM_AUDIO_MODEL
  virtual std::string bundled_model() const = 0;    // the bundled model's path ("" when none)
  // Models bundled before the current one, kept so that the files they made still decompress
  // with no --model given (codec::Models::for_file picks one by the file's model id).
  virtual std::vector<std::string> older_models() const { return {}; }

  // ---- inputs
  // True when this kind takes the input: `path` ("-": stdin) and its first bytes.
  virtual bool claims(const std::string& path, const uint8_t* head, size_t n) const = 0;
  // A file's content; `model` is the model that will code it (images check their size against
  // it before decoding a pixel). Throws std::runtime_error naming `name`.
  virtual Content read(const std::vector<uint8_t>& file, const std::string& name,
                       const engine::EngineModel& model) const = 0;
  // Several inputs into one .ardm file (compress -c a b): the merged content, or an error.
  virtual Content merge(const std::vector<Content>& parts) const;
  virtual bool merges() const { return false; }

  // ---- coding
  virtual WordMap word_map(const coding::Description& d, const engine::EngineCodec& codec) const = 0;
  // Throws coding::FormatError for a description this kind does not hold (the reader's rules).
  virtual void check_description(const coding::Description& d) const = 0;
  // Throws coding::FormatError when a model-coded file's content cannot be the model's.
  virtual void check_coded_content(const coding::Description& d, const engine::EngineModel& model) const;
  // A file of one chunk of the model's own shape may leave out its description ("bare").
  virtual bool bare(const Content& c, const engine::EngineModel& model) const;
  virtual coding::Description bare_description(const engine::EngineModel& model) const;

  // True when the model codes this content (else only stored and the classical codecs do):
  // images of the model's own shape and depth, 8- and 16-bit audio, any byte stream.
  virtual bool model_codes(const coding::Description& d, const engine::EngineModel& model) const { return true; }
  // The content's values as sequences the model codes apart, each cut into chunks: `rows`
  // interleaved sequences (audio channels: value j of row r is value j * rows + r), else one.
  virtual uint64_t rows(const coding::Description& d) const { return 1; }

  // The kind's own classical codecs, best first (images: JPEG XL; audio: WavPack, FLAC; byte
  // streams: xz, bzip2, zstd, brotli). Codec k is part code coding::kPartNative + k; a file
  // wholly by codec 0 is coding::Method::kNative, by another, coding::Method::kParts.
  virtual int native_count() const { return 0; }
  virtual const char* native_name(int k) const { return nullptr; }
  // True when codec k codes this content whole (WavPack takes every WAV, FLAC no floats).
  virtual bool native_takes(int k, const coding::Description& d) const { return true; }
  // The content by codec k: one part per item (items(); codecs other than 0 code one item).
  virtual std::vector<std::vector<uint8_t>> encode_native(int k, const Content& c) const;
  virtual std::vector<uint16_t> decode_native(int k, const std::vector<coding::Part>& parts, const coding::Description& d) const;
  // True when codec k also codes single chunks (one row's n values, as stored) of such content.
  virtual bool native_chunks(int k, const coding::Description& d) const { return false; }
  virtual std::vector<uint8_t> encode_native_chunk(int k, const coding::Description& d, const uint16_t* words, size_t n) const;
  virtual std::vector<uint16_t> decode_native_chunk(int k, const coding::Description& d, const coding::Part& p, size_t n) const;
  // Items in a content (images in a file; 1 for a stream) and the parts a native file has.
  virtual size_t items(const coding::Description& d) const { return 1; }

  // The step budget of compression level 1 (fast) .. 9 (small); the default is kDefaultLevel's.
  virtual int64_t level_budget(int level) const;

  // ---- outputs
  // The decompressed file's name from the input's name less ".ardm".
  virtual std::string output_name(const std::string& stripped, const WriteOptions& o) const { return stripped; }
  // Files a content becomes (a folder of them when more than one), and each one's bytes.
  virtual size_t output_files(const coding::Description& d, const WriteOptions& o) const { return 1; }
  virtual std::string output_file_name(size_t i, size_t count, const WriteOptions& o) const;
  virtual std::vector<uint8_t> write(const Content& c, size_t i, const std::string& name, const WriteOptions& o) const = 0;
  // Decompressed data that is no text: not written to a terminal unless forced.
  virtual bool binary_output() const { return true; }

  // ---- training and evaluation (the data sets and samples: <kind>/data.cpp, LibTorch)
  // True for the data spec of a model of this kind (DataSpec::kind names it: "image", "bytes" ...).
  virtual bool owns(const DataSpec& d) const = 0;
  // True when a --data source is this kind's (the last kind, text, takes any).
  virtual bool takes_source(const std::string& source) const = 0;
  virtual const char* eval_unit() const = 0;    // bounds: "bpd", "bpc", "bits/sample"
  virtual const char* eval_items() const = 0;   // "images", "sequences", "clips"
};

// Compression levels as gzip's: 1 fast .. 9 small; 6 is the default (the budget of 20).
constexpr int kDefaultLevel = 6;

// ---- the registry (registry.cpp)
const std::vector<const Kind*>& all();
// The kind that takes an input (the last kind, text, takes anything).
const Kind& for_input(const std::string& path, const uint8_t* head, size_t n);
// The kind of a version-3 file's description code; nullptr when none has it.
const Kind* for_code(uint32_t code);
// The kind a bare (undescribed) file holds.
const Kind& for_bare_files();
const Kind* by_name(const std::string& name);
// The kind of a model's data spec; throws std::invalid_argument naming the known ones.
const Kind& of_spec(const DataSpec& d);
// The kind of a --data source (the last kind, text, takes any).
const Kind& of_source(const std::string& source);
// What the container needs to know of every kind's descriptions.
const coding::KindLayouts& layouts();

// Chunk names of a multi-item output folder: 00000.png, ...
std::string numbered_name(size_t i, size_t count, const std::string& ext);
// Where the bundled models are when they are not where the build put them (the Python
// package's copy): "" (the default) keeps the build's paths. Set it before any model is looked up.
void set_models_dir(const std::string& dir);
// A bundled model's path: the build's (`built`, in its models/ folder), or with a models
// folder set, the same file under that folder ("older/x.ardmnet" stays under older/).
std::string bundled_path(const std::string& built);
// The paths of a '|'-separated list (how the build passes a kind its older bundled models),
// each through bundled_path.
std::vector<std::string> path_list(const std::string& bar_separated);

}  // namespace ardm::kinds
