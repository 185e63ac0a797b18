// Read me first: the one stream codec of every data kind (kinds/kind.h). A content (a kind's
// values as stored) is cut into chunks of the model's D values, the last one possibly shorter (a
// tail: its missing positions are absent, never known and never coded); each chunk is one rANS
// stream whose check covers the chunk's value bytes (docs/format.md). Files are made by the
// model, stored, by each of the kind's own classical codecs, or chunk by chunk by whichever of
// these is smallest for the chunk; the smallest file wins. A file of one chunk of the model's
// own shape may leave out its description ("bare": single images).
//
// The chunks of many files go through the engine together, `batch` per network call, so small
// files (single images) share calls and large ones (text, audio) use every core.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ardm/engine/tiles.h"
#include "ardm/coding/format.h"
#include "ardm/engine/codec.h"
#include "ardm/kinds/kind.h"

namespace ardm::codec {

// Network calls per chunk when the user names no budget. On the bundled Fashion-MNIST model,
// 20 calls cost under 1% more bits than 50 (see README) at 40% of the time.
constexpr int64_t kDefaultBudget = 20;

using Progress = std::function<void(size_t done)>;

// Throws std::invalid_argument unless the budget is one a file may ask for (1..kMaxBudget) and
// the model can spend: S <= budget <= S * D.
void check_budget(const engine::EngineCodec& codec, int64_t budget);

// ---- encoding

struct Source {
  const kinds::Kind* kind = nullptr;
  const kinds::Content* content = nullptr;
};
// Every chunk of every source the model codes (Kind::model_codes; the others get no chunks)
// through the model; result[s][c]: source s's chunk c (an image under a model of tiles: its
// column c of tiles as one finished stream, Encoded::payload). Throws for values the model
// cannot code. on_progress(chunks done: tiles).
std::vector<std::vector<engine::ItemCoder::Encoded>> encode_chunks(const std::vector<Source>& sources,
                                                                   const engine::EngineCodec& codec, int64_t budget,
                                                                   size_t batch, const Progress& on_progress = {});

// The number of chunks of a content the model codes (rows times chunks of D values per row, or
// an image's tiles).
size_t chunks_in(const kinds::Kind& kind, const coding::Description& d, const engine::EngineCodec& codec);

// A method a user can ask for: a part code (coding::kPartModel, kPartStored, kPartNative + k)
// or, with "auto", every one, whole and chunk by chunk.
struct Made {
  std::vector<uint8_t> bytes;
  coding::Method method = coding::Method::kModel;
  std::vector<uint8_t> codes;  // the part code of each chunk (kParts chunked), else of the file
};
// The file of a content wholly by one part code; the model uses `chunks` (encode_chunks' row).
Made make_file(const kinds::Kind& kind, const kinds::Content& content, int code, const engine::EngineCodec& codec,
               int64_t budget, const std::vector<engine::ItemCoder::Encoded>& chunks);
// The file of a content chunk by chunk, each chunk by the smallest of the model, stored and
// the kind's codecs that code chunks. Not for a model that mixes a history (throws
// std::invalid_argument): its chunks' codes hold only when it codes all of them.
Made mixed_file(const kinds::Kind& kind, const kinds::Content& content, const engine::EngineCodec& codec,
                int64_t budget, const std::vector<engine::ItemCoder::Encoded>& chunks);

// "auto", "model", "stored", one of the kind's native names, or "chunks" (chunk by chunk, each
// by its smallest method); throws std::invalid_argument naming the methods the kind has.
// Returns -1 for "auto", kChunkByChunk for "chunks", else the part code.
constexpr int kChunkByChunk = -2;
int check_method(const kinds::Kind& kind, const std::string& method);
// method "auto": the smallest of model, stored, each native codec and the chunk-by-chunk mix
// (ties in that order); an empty content is always stored.
Made best_file(const kinds::Kind& kind, const kinds::Content& content, const std::string& method,
               const engine::EngineCodec& codec, int64_t budget, const std::vector<engine::ItemCoder::Encoded>& chunks);

// "model", "stored" or the kind's name of a native codec ("jxl", "wavpack") for a part code.
std::string code_name(const kinds::Kind& kind, int code);
// What a file was made by: "jxl", or for a mix "model 3, wavpack 2" (chunks per method).
std::string methods_text(const kinds::Kind& kind, const Made& made);

// ---- decoding

struct Opened {
  coding::ParsedFileV3 file;
  const kinds::Kind* kind = nullptr;
  coding::Description description;  // the file's, or (bare files) the model's once bound
  bool needs_model = false;         // model-coded (some part), or bare
  uint64_t chunk_values = 0;        // the model's D, once bound
  bool tiled = false;               // model-coded as tiles (engine/tiles.h), once bound
  engine::tiles::Grid grid;         // ... their grid
};
// Parses a version-3 file and checks its description by its kind's rules; throws coding::FormatError.
Opened open_file(const uint8_t* data, size_t size);
// Checks a file that needs the model against it ("wrong model", sizes, budget, chunk count).
void bind(Opened& f, const engine::EngineCodec& codec);

struct Decoded {
  kinds::Content content;
  std::string error;  // empty: decoded and checked
};
// Decodes every file (model-coded ones bound to `codec`, which may be null when none is): their
// chunks in batches grouped by budget; a damaged file fails alone. on_progress(chunks done).
std::vector<Decoded> decode_files(const std::vector<const Opened*>& files, const engine::EngineCodec* codec,
                                  size_t batch, const Progress& on_progress = {});
// The part code of each part of a file (coding::kPartModel ...), or of the whole file.
std::vector<uint8_t> part_codes(const coding::ParsedFileV3& f);
// Chunks a file has (progress totals).
size_t chunk_count(const Opened& f);

}  // namespace ardm::codec
