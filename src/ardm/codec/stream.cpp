#include "ardm/codec/stream.h"

#include <algorithm>
#include <map>
#include <optional>
#include <stdexcept>

#include "ardm/engine/tiles.h"
#include "ardm/coding/rans.h"

namespace ardm::codec {
namespace {

using Encoded = engine::ItemCoder::Encoded;

// A chunk of a content: its row, its first value in the row and its length (D, or less for a
// tail); `index` counts the content's chunks, row after row.
struct Chunk {
  size_t source, index, row, begin, length;
};

std::vector<Chunk> chunks_of(size_t source, uint64_t n, uint64_t rows, uint64_t D) {
  std::vector<Chunk> out;
  const uint64_t per_row = rows == 0 ? 0 : n / rows;
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t b = 0; b < per_row; b += D)
      out.push_back({source, out.size(), static_cast<size_t>(r), static_cast<size_t>(b),
                     static_cast<size_t>(std::min(D, per_row - b))});
  return out;
}

// A chunk's words, in the order the model codes them.
std::vector<uint16_t> words_of(const kinds::Content& c, uint64_t rows, const Chunk& ch) {
  std::vector<uint16_t> w(ch.length);
  for (size_t j = 0; j < ch.length; ++j) w[j] = c.words[(ch.begin + j) * rows + ch.row];
  return w;
}

// The values before a chunk that the model sees: up to its context, within the chunk's row.
// A file records the model's context when some model-coded chunk has values before it.
uint64_t file_context(const kinds::Kind& kind, const kinds::Content& c, const engine::EngineCodec& codec) {
  if (engine::tiles::tiled(codec.model().cfg.data)) return static_cast<uint64_t>(codec.context());  // the margin
  const uint64_t rows = kind.rows(c.description), per_row = rows == 0 ? 0 : c.words.size() / rows;
  return per_row > static_cast<uint64_t>(codec.num_values()) ? static_cast<uint64_t>(codec.context()) : 0;
}

// The model values of the (at most `context`) values before a chunk in its row, oldest first.
std::vector<uint16_t> context_of(const std::vector<uint16_t>& words, uint64_t rows, const Chunk& ch, uint64_t context,
                                 const kinds::WordMap& map) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(context, ch.begin));
  std::vector<uint16_t> v(n);
  for (size_t j = 0; j < n; ++j) v[j] = map.to_model(words[(ch.begin - n + j) * rows + ch.row]);
  return v;
}

coding::Header header_of(const kinds::Kind& kind, const kinds::Content& c, coding::Method method,
                         const engine::EngineCodec& codec, int64_t budget) {
  coding::Header h;
  if (method == coding::Method::kModel) h.context = file_context(kind, c, codec);
  h.method = method;
  h.model_id = static_cast<uint16_t>(codec.fingerprint());
  h.described = method == coding::Method::kParts || !kind.bare(c, codec.model());
  if (h.described) h.description = c.description;
  h.budget = method == coding::Method::kModel ? static_cast<uint32_t>(budget) : 0;
  return h;
}

// A model-coded chunk's rANS payload, its check bound to the file's header bytes.
std::vector<uint8_t> model_payload(const engine::EngineCodec& codec, const std::vector<uint8_t>& head,
                                   const kinds::Content& c, uint64_t rows, const Chunk& ch, const Encoded& e) {
  const auto w = words_of(c, rows, ch);
  const auto bytes = coding::value_bytes(w.data(), w.size(), c.description.value_bits);
  return coding::encode_checked(e.symbols, coding::chunk_check(codec.fingerprint(), head, ch.index, bytes.data(), bytes.size()));
}

// A row's history (engine/history.h) brought up to the values before a chunk.
engine::RowHistory& history_before(engine::RowHistory& h, const std::vector<uint16_t>& words, uint64_t rows,
                                   const Chunk& ch, const kinds::WordMap& map) {
  std::vector<uint16_t> v;
  for (size_t i = h.size(); i < ch.begin; ++i) v.push_back(map.to_model(words[i * rows + ch.row]));
  h.extend(v.data(), v.size());
  return h;
}

}  // namespace

void check_budget(const engine::EngineCodec& codec, int64_t budget) {
  if (budget > static_cast<int64_t>(coding::kMaxBudget))
    throw std::invalid_argument("--budget " + std::to_string(budget) + " is above " + std::to_string(coding::kMaxBudget) +
                                ", the most network calls per chunk a file may ask of its decoder");
  codec.policy(budget);  // checks the budget against the model and computes the schedule once
}

size_t chunks_in(const kinds::Kind& kind, const coding::Description& d, const engine::EngineCodec& codec) {
  if (engine::tiles::tiled(codec.model().cfg.data))
    return static_cast<size_t>(engine::tiles::grid_of(d.shape, codec.model().cfg.data).count());
  return chunks_of(0, d.num_values(), kind.rows(d), static_cast<uint64_t>(codec.num_values())).size();
}

std::vector<std::vector<Encoded>> encode_chunks(const std::vector<Source>& sources, const engine::EngineCodec& codec,
                                                int64_t budget, size_t batch, const Progress& on_progress) {
  if (batch < 1) throw std::invalid_argument("batch must be at least 1");
  const auto D = static_cast<uint64_t>(codec.num_values());
  std::vector<std::vector<Encoded>> out(sources.size());
  // Chunks that code the same stages share calls. A model that mixes a row history codes a row's
  // chunks one after another, as its decoder does: the i-th chunks of every row in wave i.
  const bool mixing = codec.mixes_history();
  std::map<std::pair<int64_t, uint64_t>, std::vector<Chunk>> by_stages;  // (stages, wave)
  std::vector<kinds::WordMap> maps;
  std::vector<uint64_t> rows;
  std::vector<bool> with_history(sources.size(), false);
  std::map<std::pair<size_t, size_t>, engine::RowHistory> histories;  // (source, row)
  struct TileJob {
    size_t source;
    int64_t index;
    engine::tiles::Grid grid;
  };
  struct Columns {  // an image's columns of tiles: their symbols so far, and the file's header
    engine::tiles::Grid grid;
    std::vector<std::vector<coding::CodedSymbol>> symbols;
    std::vector<uint8_t> head;
  };
  std::vector<TileJob> tile_jobs;
  std::map<size_t, Columns> columns;
  for (size_t s = 0; s < sources.size(); ++s) {
    const auto& c = *sources[s].content;
    const auto& kind = *sources[s].kind;
    const bool model = kind.model_codes(c.description, codec.model());
    maps.push_back(model ? kind.word_map(c.description, codec) : kinds::WordMap{kinds::identity_word, kinds::identity_word, 0});
    rows.push_back(kind.rows(c.description));
    if (!model) continue;
    if (engine::tiles::tiled(codec.model().cfg.data)) {
      // The encoder knows every window, so tiles go in any batch: a column's tiles top to bottom,
      // column after column, each column's stream made (and its symbols dropped) once its last
      // tile is coded, so a large image holds one column's symbols at a time.
      const auto g = engine::tiles::grid_of(c.description.shape, codec.model().cfg.data);
      out[s].resize(static_cast<size_t>(g.cols()));
      columns[s] = {g, std::vector<std::vector<coding::CodedSymbol>>(static_cast<size_t>(g.cols())),
                    coding::encode_header(header_of(kind, c, coding::Method::kModel, codec, budget), g.cols() != 1)};
      for (int64_t col = 0; col < g.cols(); ++col)
        for (int64_t r = 0; r < g.rows(); ++r) tile_jobs.push_back({s, r * g.cols() + col, g});
      continue;
    }
    auto list = chunks_of(s, c.words.size(), rows.back(), D);
    out[s].resize(list.size());
    with_history[s] = mixing && file_context(kind, c, codec) > 0;
    for (const Chunk& ch : list) by_stages[{maps.back().stages, with_history[s] ? ch.begin / D : 0}].push_back(ch);
  }
  size_t done = 0;
  for (size_t c0 = 0; c0 < tile_jobs.size(); c0 += batch) {
    const size_t n = std::min(batch, tile_jobs.size() - c0);
    std::vector<std::vector<uint16_t>> values(n), windows(n);
    std::vector<std::vector<int32_t>> layouts(n);
    std::vector<const uint16_t*> ptrs;
    std::vector<const int32_t*> lays;
    std::vector<engine::EngineCodec::ItemContext> contexts;
    for (size_t k = 0; k < n; ++k) {
      const auto& job = tile_jobs[c0 + k];
      const auto& words = sources[job.source].content->words;
      values[k] = engine::tiles::values(job.grid, words, job.index);
      layouts[k] = engine::tiles::layout(job.grid, job.index);
      windows[k] = engine::tiles::window(job.grid, words, job.index);
      ptrs.push_back(values[k].data());
      lays.push_back(layouts[k].data());
      contexts.push_back({windows[k].data(), static_cast<int64_t>(windows[k].size())});
    }
    auto encoded = codec.encode_batch(ptrs, budget, {}, 0, contexts, lays);
    for (size_t k = 0; k < n; ++k) {
      const auto& job = tile_jobs[c0 + k];
      auto& cols = columns[job.source];
      const int64_t col = job.grid.col(job.index);
      auto& sym = cols.symbols[static_cast<size_t>(col)];
      auto& e = out[job.source][static_cast<size_t>(col)];
      sym.insert(sym.end(), encoded[k].symbols.begin(), encoded[k].symbols.end());
      e.model_bits += encoded[k].model_bits;
      if (job.grid.row(job.index) + 1 < job.grid.rows()) continue;
      // The column's last tile: its stream, checked by the column's values (docs/format.md).
      const auto w = engine::tiles::column_values(job.grid, sources[job.source].content->words, col);
      const auto bytes = coding::value_bytes(w.data(), w.size(), sources[job.source].content->description.value_bits);
      e.payload = coding::encode_checked(
          sym, coding::chunk_check(codec.fingerprint(), cols.head, static_cast<uint64_t>(col), bytes.data(), bytes.size()));
      std::vector<coding::CodedSymbol>().swap(sym);
    }
    done += n;
    if (on_progress) on_progress(done);
  }
  for (const auto& [key, list] : by_stages)
    for (size_t c0 = 0; c0 < list.size(); c0 += batch) {
      const size_t n = std::min(batch, list.size() - c0);
      std::vector<std::vector<uint16_t>> values(n, std::vector<uint16_t>(static_cast<size_t>(D), 0)), before(n);
      std::vector<const uint16_t*> ptrs;
      std::vector<int64_t> lengths;
      std::vector<engine::EngineCodec::ItemContext> contexts;
      for (size_t k = 0; k < n; ++k) {
        const Chunk& ch = list[c0 + k];
        const auto& map = maps[ch.source];
        const auto& content = *sources[ch.source].content;
        const auto w = words_of(content, rows[ch.source], ch);
        for (size_t j = 0; j < ch.length; ++j) values[k][j] = map.to_model(w[j]);
        ptrs.push_back(values[k].data());
        lengths.push_back(static_cast<int64_t>(ch.length));
        before[k] = context_of(content.words, rows[ch.source], ch, static_cast<uint64_t>(codec.context()), map);
        contexts.push_back({before[k].data(), static_cast<int64_t>(before[k].size())});
        if (with_history[ch.source])
          contexts.back().history = &history_before(histories[{ch.source, ch.row}], content.words, rows[ch.source], ch, map);
      }
      auto encoded = codec.encode_batch(ptrs, budget, lengths, key.first, contexts);
      for (size_t k = 0; k < n; ++k) out[list[c0 + k].source][list[c0 + k].index] = std::move(encoded[k]);
      done += n;
      if (on_progress) on_progress(done);
    }
  return out;
}

Made make_file(const kinds::Kind& kind, const kinds::Content& c, int code, const engine::EngineCodec& codec,
               int64_t budget, const std::vector<Encoded>& chunks) {
  Made made;
  made.codes = {static_cast<uint8_t>(code)};
  if (code == coding::kPartStored) {
    made.method = coding::Method::kStored;
    const auto h = header_of(kind, c, made.method, codec, budget);
    const auto bytes = coding::value_bytes(c.words.data(), c.words.size(), c.description.value_bits);
    made.bytes = coding::assemble_file(coding::encode_header(h, false), made.method, false, {bytes});
  } else if (code == coding::kPartModel && engine::tiles::tiled(codec.model().cfg.data)) {
    // One stream per column of tiles, its tiles top to bottom (engine/tiles.h), checked once:
    // encode_chunks made them.
    made.method = coding::Method::kModel;
    const auto g = engine::tiles::grid_of(c.description.shape, codec.model().cfg.data);
    if (static_cast<int64_t>(chunks.size()) != g.cols()) throw std::logic_error("make_file: not the image's columns of tiles");
    const auto head = coding::encode_header(header_of(kind, c, made.method, codec, budget), g.cols() != 1);
    std::vector<std::vector<uint8_t>> payloads;
    for (const auto& e : chunks) payloads.push_back(e.payload);
    made.bytes = coding::assemble_file(head, made.method, g.cols() != 1, payloads);
  } else if (code == coding::kPartModel) {
    made.method = coding::Method::kModel;
    const uint64_t rows = kind.rows(c.description);
    const auto list = chunks_of(0, c.words.size(), rows, static_cast<uint64_t>(codec.num_values()));
    if (list.size() != chunks.size() || list.empty()) throw std::logic_error("make_file: not the content's chunks");
    const auto h = header_of(kind, c, made.method, codec, budget);
    std::vector<std::vector<uint8_t>> payloads;
    if (h.context > 0) {
      // Chunks coded after the ones before them decode one after another anyway: each row is
      // one stream, its symbols chunk after chunk, checked once (format version 4).
      const auto head = coding::encode_header(h, rows != 1);
      for (uint64_t r = 0; r < rows; ++r) {
        std::vector<coding::CodedSymbol> symbols;
        std::vector<uint16_t> words;
        for (const auto& ch : list)
          if (ch.row == r) {
            const auto& e = chunks[ch.index].symbols;
            symbols.insert(symbols.end(), e.begin(), e.end());
            const auto w = words_of(c, rows, ch);
            words.insert(words.end(), w.begin(), w.end());
          }
        const auto bytes = coding::value_bytes(words.data(), words.size(), c.description.value_bits);
        payloads.push_back(coding::encode_checked(symbols, coding::chunk_check(codec.fingerprint(), head, r, bytes.data(), bytes.size())));
      }
      made.bytes = coding::assemble_file(head, made.method, rows != 1, payloads);
      return made;
    }
    const bool chunked = chunks.size() != 1;
    const auto head = coding::encode_header(h, chunked);
    for (const auto& ch : list) payloads.push_back(model_payload(codec, head, c, rows, ch, chunks[ch.index]));
    made.bytes = coding::assemble_file(head, made.method, chunked, payloads);
  } else {
    const int k = code - coding::kPartNative;
    if (k < 0 || k >= kind.native_count()) throw std::invalid_argument("no such method");
    auto parts = kind.encode_native(k, c);
    // The first codec is method 2 (one part per item); any other names itself in the header.
    made.method = k == 0 ? coding::Method::kNative : coding::Method::kParts;
    auto h = header_of(kind, c, made.method, codec, budget);
    h.code = static_cast<uint8_t>(code);
    const bool chunked = parts.size() != 1;
    if (chunked && k != 0) throw std::logic_error("make_file: a codec other than the first codes one item");
    made.bytes = coding::assemble_file(coding::encode_header(h, chunked), made.method, chunked, parts);
  }
  return made;
}

Made mixed_file(const kinds::Kind& kind, const kinds::Content& c, const engine::EngineCodec& codec, int64_t budget,
                const std::vector<Encoded>& chunks) {
  const uint64_t D = static_cast<uint64_t>(codec.num_values()), rows = kind.rows(c.description);
  const auto list = chunks_of(0, c.words.size(), rows, D);
  const bool model = kind.model_codes(c.description, codec.model());
  if (model && list.size() != chunks.size()) throw std::logic_error("mixed_file: not the content's chunks");
  if (model && codec.mixes_history())  // each chunk's code then depends on every model-coded chunk before it
    throw std::invalid_argument("this model learns from every chunk it codes (its history mixer): it codes whole files, "
                                "not chunk by chunk");
  auto h = header_of(kind, c, coding::Method::kParts, codec, budget);
  h.chunk_values = D;
  h.budget = model ? static_cast<uint32_t>(budget) : 0;
  h.context = model ? file_context(kind, c, codec) : 0;
  auto head = coding::encode_header(h, true);
  Made made;
  made.method = coding::Method::kParts;
  std::vector<std::vector<uint8_t>> parts;
  for (const auto& ch : list) {
    const auto w = words_of(c, rows, ch);
    std::vector<uint8_t> best = coding::value_bytes(w.data(), w.size(), c.description.value_bits);
    uint8_t code = coding::kPartStored;
    if (model) {
      auto p = model_payload(codec, head, c, rows, ch, chunks[ch.index]);
      if (p.size() <= best.size()) best = std::move(p), code = coding::kPartModel;
    }
    for (int k = 0; k < kind.native_count(); ++k)
      if (kind.native_chunks(k, c.description)) {
        auto p = kind.encode_native_chunk(k, c.description, w.data(), w.size());
        if (!p.empty() && p.size() < best.size()) best = std::move(p), code = static_cast<uint8_t>(coding::kPartNative + k);
      }
    parts.push_back(std::move(best));
    made.codes.push_back(code);
  }
  if (model && std::find(made.codes.begin(), made.codes.end(), coding::kPartModel) == made.codes.end()) {
    h.budget = 0;  // no chunk is the model's: no budget (no model chunk's check depended on it)
    h.context = 0;
    head = coding::encode_header(h, true);
  }
  made.bytes = coding::assemble_file(head, made.method, true, parts, made.codes);
  return made;
}

int check_method(const kinds::Kind& kind, const std::string& method) {
  if (method == "auto") return -1;
  if (method == "chunks") return kChunkByChunk;
  if (method == "model") return coding::kPartModel;
  if (method == "stored") return coding::kPartStored;
  std::string names = "the model, stored";
  for (int k = 0; k < kind.native_count(); ++k) {
    if (method == kind.native_name(k)) return coding::kPartNative + k;
    names += std::string(k + 1 == kind.native_count() ? " or " : ", ") + kind.native_name(k);
  }
  if (kind.native_count() == 0) names = "the model or stored";
  throw std::invalid_argument(std::string(kind.name()) + " files are coded by " + names + " (or chunk by chunk), not by '" +
                              method + "'");
}

Made best_file(const kinds::Kind& kind, const kinds::Content& c, const std::string& method,
               const engine::EngineCodec& codec, int64_t budget, const std::vector<Encoded>& chunks) {
  const int asked = check_method(kind, method);
  if (c.words.empty()) return make_file(kind, c, coding::kPartStored, codec, budget, chunks);  // nothing to code
  const bool model = kind.model_codes(c.description, codec.model());
  if (asked == coding::kPartModel && !model)
    throw std::invalid_argument(std::string("the model does not code this ") + kind.name() + " (" + kind.model_needed() + ")");
  if (asked >= coding::kPartNative && !kind.native_takes(asked - coding::kPartNative, c.description))
    throw std::invalid_argument(std::string(kind.native_name(asked - coding::kPartNative)) + " does not code this " + kind.name());
  const bool tiled = engine::tiles::tiled(codec.model().cfg.data);
  if (asked == kChunkByChunk) {
    if (!model) throw std::invalid_argument(std::string("the model does not code this ") + kind.name() + ": no chunks to choose for");
    if (tiled) throw std::invalid_argument("a model of tiles codes whole images, not chunk by chunk");
    return mixed_file(kind, c, codec, budget, chunks);
  }
  if (asked >= 0) return make_file(kind, c, asked, codec, budget, chunks);
  std::vector<int> codes;
  if (model) codes.push_back(coding::kPartModel);
  codes.push_back(coding::kPartStored);
  for (int k = 0; k < kind.native_count(); ++k)
    if (kind.native_takes(k, c.description)) codes.push_back(coding::kPartNative + k);
  Made best;
  for (int code : codes) {
    auto made = make_file(kind, c, code, codec, budget, chunks);
    if (best.bytes.empty() || made.bytes.size() < best.bytes.size()) best = std::move(made);
  }
  // Chunk by chunk, where there are chunks to choose for and the model codes some of them; not
  // for a model that mixes a history: its chunks' sizes hold only if it codes every chunk.
  if (model && chunks.size() > 1 && !codec.mixes_history() && !tiled) {
    auto made = mixed_file(kind, c, codec, budget, chunks);
    if (made.bytes.size() < best.bytes.size()) best = std::move(made);
  }
  return best;
}

std::string code_name(const kinds::Kind& kind, int code) {
  if (code == coding::kPartModel) return "model";
  if (code == coding::kPartStored) return "stored";
  const int k = code - coding::kPartNative;
  return k >= 0 && k < kind.native_count() ? kind.native_name(k) : "?";
}

std::string methods_text(const kinds::Kind& kind, const Made& made) {
  if (made.method != coding::Method::kParts || made.codes.size() <= 1)
    return made.codes.empty() ? coding::method_name(made.method) : code_name(kind, made.codes[0]);
  std::map<int, size_t> count;
  for (auto c : made.codes) ++count[c];
  std::string out;
  for (const auto& [code, n] : count) out += (out.empty() ? "" : ", ") + code_name(kind, code) + " " + std::to_string(n);
  return "chunks: " + out;
}

namespace {

// Chunks of N values in `rows` rows of chunks of D, without listing them (a hostile header may
// claim 2^40 values).
uint64_t chunk_total(uint64_t N, uint64_t rows, uint64_t D) {
  if (rows == 0) return 0;
  const uint64_t per_row = N / rows;
  return rows * ((per_row + D - 1) / D);
}

// A version-4 model file: one stream per row, each row's chunks after one another.
bool row_streams(const coding::ParsedFileV3& f) {
  return f.header.method == coding::Method::kModel && f.header.context > 0;
}

void check_chunk_count(const Opened& f, uint64_t D) {
  if (f.tiled) {
    if (f.file.parts.size() != static_cast<uint64_t>(f.grid.cols()))
      throw coding::FormatError("corrupted: " + std::to_string(f.file.parts.size()) + " streams for " +
                                std::to_string(f.grid.cols()) + " columns of tiles");
    return;
  }
  const uint64_t N = f.description.num_values(), rows = f.kind->rows(f.description);
  if (row_streams(f.file)) {
    if (f.file.parts.size() != rows)
      throw coding::FormatError("corrupted: " + std::to_string(f.file.parts.size()) + " streams for " +
                                std::to_string(rows) + " rows");
    return;
  }
  const uint64_t expected = chunk_total(N, rows, D);
  if (f.file.parts.size() != expected)
    throw coding::FormatError("corrupted: " + std::to_string(f.file.parts.size()) + " chunks for " + std::to_string(N) +
                              " values (" + std::to_string(expected) + " expected)");
}

void check_stored_size(const Opened& f) {
  if (f.file.header.method == coding::Method::kStored &&
      f.file.parts[0].size != f.description.num_values() * f.description.value_bytes())
    throw coding::FormatError("corrupted: " + std::to_string(f.file.parts[0].size) + " stored bytes for " +
                              std::to_string(f.description.num_values()) + " values");
}

// Stored values (1 or 2 bytes each, little-endian), each checked against the value bits.
std::vector<uint16_t> stored_words(const uint8_t* p, size_t n, uint32_t bits) {
  std::vector<uint16_t> out(n);
  const bool wide = bits > 8;
  for (size_t i = 0; i < n; ++i) {
    const auto w = wide ? static_cast<uint16_t>(p[2 * i] | (p[2 * i + 1] << 8)) : uint16_t{p[i]};
    if (bits < 16 && (w >> bits) != 0)
      throw coding::FormatError("corrupted: stored value " + std::to_string(w) + " has more than " + std::to_string(bits) + " bits");
    out[i] = w;
  }
  return out;
}

// The most values a chunk of a file of coded parts may have (the models' D is far below).
constexpr uint64_t kMaxChunkValues = uint64_t{1} << 24;

}  // namespace

Opened open_file(const uint8_t* data, size_t size) {
  Opened f;
  f.file = coding::read_file_v3(data, size, kinds::layouts());
  const auto& h = f.file.header;
  if (h.described) {
    f.kind = kinds::for_code(h.description.kind);
    if (!f.kind) throw coding::FormatError("unsupported data kind " + std::to_string(h.description.kind));
    f.kind->check_description(h.description);
    f.description = h.description;
    check_stored_size(f);
  } else {
    f.kind = &kinds::for_bare_files();
  }
  // Every part's method must be one the kind has (and, chunk by chunk, one that codes chunks).
  const int natives = f.kind->native_count();
  if ((h.method == coding::Method::kNative && natives == 0) ||
      (h.method == coding::Method::kParts && !f.file.chunked && h.code - coding::kPartNative >= natives))
    throw coding::FormatError(std::string("corrupted: a ") + f.kind->name() + " file coded by a method it does not have");
  if (h.method == coding::Method::kParts && f.file.chunked) {
    if (h.chunk_values > kMaxChunkValues) throw coding::FormatError("corrupted: chunks of " + std::to_string(h.chunk_values) + " values");
    check_chunk_count(f, h.chunk_values);
    for (uint8_t code : f.file.codes) {
      const int k = code - coding::kPartNative;
      if (k >= natives || (k >= 0 && !f.kind->native_chunks(k, f.description)))
        throw coding::FormatError(std::string("corrupted: a ") + f.kind->name() + " chunk coded by a method that codes no such chunks");
    }
  }
  // A file that says what it holds and has no model-coded part needs no model.
  f.needs_model = h.method == coding::Method::kModel || !h.described || (h.method == coding::Method::kParts && h.budget != 0);
  return f;
}

size_t chunk_count(const Opened& f) {
  if (f.tiled) return static_cast<size_t>(f.grid.count());
  if (row_streams(f.file) && f.chunk_values > 0)
    return static_cast<size_t>(chunk_total(f.description.num_values(), f.kind->rows(f.description), f.chunk_values));
  return f.file.parts.size();
}

std::vector<uint8_t> part_codes(const coding::ParsedFileV3& f) {
  switch (f.header.method) {
    case coding::Method::kModel: return {coding::kPartModel};
    case coding::Method::kStored: return {coding::kPartStored};
    case coding::Method::kNative: return {coding::kPartNative};
    case coding::Method::kParts: return f.chunked ? f.codes : std::vector<uint8_t>{f.header.code};
  }
  return {};
}

void bind(Opened& f, const engine::EngineCodec& codec) {
  if (!f.needs_model) return;
  const auto& h = f.file.header;
  coding::check_model_v3(f.file, codec.fingerprint());
  f.kind->check_model(codec.model());
  if (!h.described) {
    f.description = f.kind->bare_description(codec.model());
    check_stored_size(f);
  }
  if (h.method != coding::Method::kModel && h.method != coding::Method::kParts) return;
  if (!f.kind->model_codes(f.description, codec.model()))
    throw coding::FormatError("corrupted: model-coded values the model does not code");
  f.kind->check_coded_content(f.description, codec.model());
  const uint64_t D = static_cast<uint64_t>(codec.num_values());
  f.chunk_values = D;
  if (engine::tiles::tiled(codec.model().cfg.data)) {
    if (h.method != coding::Method::kModel) throw coding::FormatError("corrupted: a model of tiles codes whole images");
    if (h.context != static_cast<uint64_t>(codec.context()))
      throw coding::FormatError("corrupted: tiles seen with a margin of " + std::to_string(h.context) + "; the model's is " +
                                std::to_string(codec.context()));
    try {
      f.grid = engine::tiles::grid_of(f.description.shape, codec.model().cfg.data);
    } catch (const std::invalid_argument& e) {
      throw coding::FormatError(std::string("corrupted: ") + e.what());
    }
    f.tiled = true;
  }
  if (h.method == coding::Method::kParts && h.chunk_values != D)
    throw coding::FormatError("corrupted: chunks of " + std::to_string(h.chunk_values) + " values, the model codes " +
                              std::to_string(D));
  check_chunk_count(f, D);
  if (h.context > static_cast<uint64_t>(codec.context()))
    throw coding::FormatError("corrupted: chunks coded with " + std::to_string(h.context) +
                              " values before them; the model sees " + std::to_string(codec.context()));
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
  // Chunks coded with the values before them known decode in waves: every file's i-th chunks of
  // their rows once the (i-1)-th are done; other chunks all in wave 0.
  struct Key {
    uint64_t wave;
    int64_t budget, stages;
    bool operator<(const Key& o) const {
      return wave != o.wave ? wave < o.wave : budget != o.budget ? budget < o.budget : stages < o.stages;
    }
  };
  std::map<Key, std::vector<Chunk>> groups;  // model-coded chunks that can share calls
  std::vector<kinds::WordMap> maps(files.size());
  std::vector<uint64_t> rows_of(files.size(), 1);
  std::vector<std::vector<std::optional<coding::RansDecoder>>> streams(files.size());  // version 4: per row
  std::map<std::pair<size_t, size_t>, engine::RowHistory> histories;  // (file, row): models that mix one
  for (size_t s = 0; s < files.size(); ++s) rows_of[s] = files[s]->kind->rows(files[s]->description);
  for (size_t s = 0; s < files.size(); ++s) {
    const Opened& f = *files[s];
    auto& o = out[s];
    o.content.description = f.description;
    const auto N = static_cast<size_t>(f.description.num_values());
    try {
      switch (f.file.header.method) {
        case coding::Method::kStored:
          o.content.words = stored_words(f.file.parts[0].data, N, f.description.value_bits);
          break;
        case coding::Method::kNative:
        case coding::Method::kParts:
          if (f.file.header.method == coding::Method::kNative || !f.file.chunked) {
            const int code = f.file.header.method == coding::Method::kNative ? coding::kPartNative : f.file.header.code;
            o.content.words = f.kind->decode_native(code - coding::kPartNative, f.file.parts, f.description);
            if (o.content.words.size() != N) throw coding::FormatError("corrupted: the native codec gave another size");
            break;
          }
          [[fallthrough]];
        case coding::Method::kModel: {
          const bool model = f.file.header.method == coding::Method::kModel || f.file.header.budget != 0;
          if (model && !codec) throw std::logic_error("decode_files: a model-coded file without the model");
          if (model) maps[s] = f.kind->word_map(f.description, *codec);
          o.content.words.assign(N, 0);
          if (f.tiled) {  // engine/tiles.h: a stream per column, tile (r, c) in wave r + c
            for (const auto& part : f.file.parts)
              streams[s].push_back(coding::RansDecoder::checked(part.data, part.size, coding::kDefaultPrecision));
            for (int64_t i = 0; i < f.grid.count(); ++i)
              groups[{static_cast<uint64_t>(f.grid.wave(i)), f.file.header.budget, 0}].push_back(
                  {s, static_cast<size_t>(i), static_cast<size_t>(f.grid.col(i)), 0, 0});
            continue;
          }
          const uint64_t rows = f.kind->rows(f.description);
          const uint64_t D = f.file.header.method == coding::Method::kParts ? f.file.header.chunk_values
                                                                            : static_cast<uint64_t>(codec->num_values());
          std::vector<Chunk> list = chunks_of(s, N, rows, D), coded;
          for (const Chunk& ch : list) {
            const int code = f.file.codes.empty() ? coding::kPartModel : f.file.codes[ch.index];
            if (code == coding::kPartModel) {
              coded.push_back(ch);
              continue;
            }
            const auto& part = f.file.parts[ch.index];
            std::vector<uint16_t> w;
            if (code == coding::kPartStored) {
              if (part.size != ch.length * f.description.value_bytes())
                throw coding::FormatError("corrupted: chunk " + std::to_string(ch.index) + " stores " + std::to_string(part.size) +
                                          " bytes for " + std::to_string(ch.length) + " values");
              w = stored_words(part.data, ch.length, f.description.value_bits);
            } else {
              w = f.kind->decode_native_chunk(code - coding::kPartNative, f.description, part, ch.length);
              if (w.size() != ch.length) throw coding::FormatError("corrupted: a chunk's codec gave another size");
            }
            for (size_t j = 0; j < ch.length; ++j) o.content.words[(ch.begin + j) * rows + ch.row] = w[j];
          }
          if (coded.empty()) break;
          if (row_streams(f.file))
            for (const auto& part : f.file.parts)
              streams[s].push_back(coding::RansDecoder::checked(part.data, part.size, coding::kDefaultPrecision));
          for (const Chunk& ch : coded)
            groups[{f.file.header.context > 0 ? ch.begin / D : 0, f.file.header.budget, maps[s].stages}].push_back(ch);
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
  done = 0;  // from here on: chunks decoded or not needing the model
  for (const auto& f : files) done += chunk_count(*f);
  for (const auto& [key, list] : groups) done -= list.size();
  if (on_progress) on_progress(done);
  for (const auto& [key, list] : groups)
    for (size_t c0 = 0; c0 < list.size(); c0 += batch) {
      const size_t n = std::min(batch, list.size() - c0);
      std::vector<engine::EngineCodec::Payload> payloads;
      std::vector<std::vector<uint16_t>> before(n);
      std::vector<std::vector<int32_t>> layouts(n);
      for (size_t k = 0; k < n; ++k) {
        const Chunk& ch = list[c0 + k];
        const Opened& f = *files[ch.source];
        const auto& map = maps[ch.source];
        const uint32_t bits = f.description.value_bits;
        engine::EngineCodec::Payload p;
        if (f.tiled) {  // its window from the tiles decoded in earlier waves; its column's stream
          const auto i = static_cast<int64_t>(ch.index);
          layouts[k] = engine::tiles::layout(f.grid, i);
          p.layout = layouts[k].data();
          if (out[ch.source].error.empty()) before[k] = engine::tiles::window(f.grid, out[ch.source].content.words, i);
          p.context = {before[k].data(), static_cast<int64_t>(before[k].size())};
          p.stream = &*streams[ch.source][ch.row];
          payloads.push_back(std::move(p));
          continue;
        }
        p.data = f.file.parts[ch.index].data;
        p.size = f.file.parts[ch.index].size;
        p.length = static_cast<int64_t>(ch.length);
        // The values before it, decoded in earlier waves (a file that failed keeps no chunk).
        if (out[ch.source].error.empty())
          before[k] = context_of(out[ch.source].content.words, rows_of[ch.source], ch, f.file.header.context, map);
        p.context = {before[k].data(), static_cast<int64_t>(before[k].size())};
        // Rows coded chunk after chunk (a context) are the ones the encoder mixed a history into.
        if (codec->mixes_history() && f.file.header.context > 0 && out[ch.source].error.empty())
          p.context.history = &history_before(histories[{ch.source, ch.row}], out[ch.source].content.words,
                                              rows_of[ch.source], ch, map);
        if (!streams[ch.source].empty()) p.stream = &*streams[ch.source][ch.row];
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
        const std::string where = total == 1 ? "" : (files[ch.source]->tiled ? "tile " : "chunk ") + std::to_string(ch.index) + " of " + std::to_string(total) + ": ";
        if (!decoded[k].error.empty()) {
          o.error = where + decoded[k].error;
          continue;
        }
        if (files[ch.source]->tiled) {
          engine::tiles::put(files[ch.source]->grid, o.content.words, static_cast<int64_t>(ch.index), decoded[k].values);
          continue;
        }
        const auto& map = maps[ch.source];
        for (size_t j = 0; j < ch.length; ++j) {
          const uint16_t v = decoded[k].values[j], w = map.to_word(v);
          if (map.to_model(w) != v) {
            o.error = where + "value " + std::to_string(v) + " is no word of this file";
            break;
          }
          o.content.words[(ch.begin + j) * rows_of[ch.source] + ch.row] = w;
        }
      }
      done += n;
      if (on_progress) on_progress(done);
    }
  // Version 4: each row's stream must end where its check says, after all of its chunks.
  for (size_t s = 0; s < files.size(); ++s) {
    auto& o = out[s];
    if (streams[s].empty() || !o.error.empty()) continue;
    const Opened& f = *files[s];
    if (f.tiled) {  // each column's stream, checked by the column's values
      for (int64_t col = 0; col < f.grid.cols() && o.error.empty(); ++col) {
        const auto w = engine::tiles::column_values(f.grid, o.content.words, col);
        const auto b = coding::value_bytes(w.data(), w.size(), f.description.value_bits);
        try {
          streams[s][static_cast<size_t>(col)]->check_finished(
              coding::chunk_check(codec->fingerprint(), f.file.header_bytes, static_cast<uint64_t>(col), b.data(), b.size()));
        } catch (const std::exception& e) {
          o.error = (f.grid.cols() == 1 ? std::string() : "tile column " + std::to_string(col) + ": ") + e.what();
        }
      }
      continue;
    }
    const uint64_t rows = rows_of[s], n = f.description.num_values() / rows;
    for (uint64_t r = 0; r < rows && o.error.empty(); ++r) {
      std::vector<uint16_t> w(static_cast<size_t>(n));
      for (uint64_t j = 0; j < n; ++j) w[static_cast<size_t>(j)] = o.content.words[j * rows + r];
      const auto b = coding::value_bytes(w.data(), w.size(), f.description.value_bits);
      try {
        streams[s][r]->check_finished(coding::chunk_check(codec->fingerprint(), f.file.header_bytes, r, b.data(), b.size()));
      } catch (const std::exception& e) {
        o.error = (rows == 1 ? std::string() : "row " + std::to_string(r) + ": ") + e.what();
      }
    }
  }
  for (auto& o : out)
    if (!o.error.empty()) o.content.words.clear();
  return out;
}

}  // namespace ardm::codec
