// The compressed-file container of docs/format.md, version 3 (versions 1 and 2, which only files
// made before the inference engine use, are legacy/format_v12.h).
// The reader treats its input as hostile: every field and length is checked before use, it
// never reads outside the buffer, and it allocates nothing in proportion to a length field
// (items are views into the caller's buffer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace ardm::coding {

// Thrown for any malformed file; the message starts with what is wrong: "truncated",
// "corrupted", "not an ardm file", "unsupported version", "wrong model".
class FormatError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The first two bytes of a version 1 or 2 file (legacy/format_v12.h), which file_version tells.
constexpr uint8_t kMagic0 = 0xA7, kMagic1 = 0xD1;

// ---------------- Version 3 ----------------

constexpr uint8_t kSignatureV3 = 0xB0;   // high nibble of a version-3 file's first byte
constexpr uint8_t kSignatureV4 = 0xC0;   // ... of version 4: version 3 with a context field
constexpr uint8_t kSignatureV5 = 0xD0;   // ... of version 5: version 4 (a context of 0 allowed) with
                                         // container bytes in their kind's short form
constexpr uint64_t kMaxContext = uint64_t{1} << 24;  // values before a chunk a file may say the network saw
constexpr uint32_t kMaxBudget = 1024;    // network calls per chunk a version-3 file may ask for
constexpr uint64_t kMaxDescribedValues = uint64_t{1} << 40;
constexpr uint32_t kMaxKindCode = 127;   // data kind codes are one varint byte

// How the values are coded: the model's rANS payloads, stored as they are, by the data kind's
// first classical codec (images: lossless JPEG XL), one part per item; or (kParts) each part by
// its own method, named by a code before it:
//   unchunked: one part, the whole item, by the code in the header (a native codec, >= 2);
//   chunked: the item's chunks of `chunk_values` values, each by model, stored or a native codec.
enum class Method : uint8_t { kModel = 0, kStored = 1, kNative = 2, kParts = 3 };
const char* method_name(Method m);  // "model", "stored", "native", "parts" (a kind names its own)

// The code of a part's method in a kParts file: the model, stored, or the kind's native codec
// k (0-based) as kPartNative + k.
constexpr uint8_t kPartModel = 0, kPartStored = 1, kPartNative = 2;
constexpr uint8_t kMaxPartCode = 63;

// What the file holds, when it is not one chunk of the model's own kind and shape. The
// container knows a data kind only by its code (kinds/registry.cpp gives them) and whether its
// descriptions carry container bytes; what a shape means is the kind's to check.
struct Description {
  uint32_t kind = 0;                   // the data kind's code, 1..127
  uint32_t value_bits = 8;             // 1..16
  std::vector<uint64_t> shape;         // rank 1..8
  bool container_bytes = false;        // the kind keeps bytes of its container verbatim:
  std::vector<uint8_t> prefix, suffix; // ... these, before and after the values
  bool short_prefix = false;           // the prefix is the kind's short form of its container's
                                       // bytes (kind 3: a plain WAV header's sample rate): version 5

  uint64_t num_values() const;
  size_t value_bytes() const { return value_bits > 8 ? 2 : 1; }  // per value, stored or checksummed
};

// What the reader must know of each data kind to parse a description: its code -> whether it
// carries container bytes. A code not listed is "unsupported data kind".
using KindLayouts = std::map<uint32_t, bool>;

struct Header {
  Method method = Method::kModel;
  uint16_t model_id = 0;   // low 16 bits of the model fingerprint
  bool described = false;  // else the item is one chunk of the model's kind and shape
  Description description; // when described
  uint32_t budget = 0;     // kModel: network calls per chunk, 1..kMaxBudget; kParts chunked:
                           // the same, or 0 when no part is model-coded
  uint64_t chunk_values = 0;  // kParts chunked: values per chunk (the model's D), >= 1
  uint8_t code = 0;           // kParts unchunked: the one part's method code (kPartNative + k)
  // kModel and kParts chunked with a budget: the most values before a model-coded chunk (of its
  // row) that the network saw, given; 1..kMaxContext makes a version-4 file, 0 (none) version 3
  // (a description with a short prefix makes version 5 either way).
  uint64_t context = 0;
};

// A version-3 file's header bytes (what every check covers first). Throws FormatError for a
// header the reader would reject.
std::vector<uint8_t> encode_header(const Header& h, bool chunked);

// Values (1 or 2 bytes each, little-endian) as stored and checksummed.
std::vector<uint8_t> value_bytes(const uint16_t* values, size_t n, uint32_t value_bits);

// The 32-bit check a model-coded chunk's rANS stream carries (docs/format.md): CRC-32 of the
// fingerprint, the header bytes, the chunk index and the chunk's value bytes.
uint32_t chunk_check(uint32_t fingerprint, const std::vector<uint8_t>& header_bytes, uint64_t index,
                     const uint8_t* value_bytes, size_t size);

// A whole version-3 file from its header bytes and body parts: kModel: the chunks' payloads;
// kStored: one part, the value bytes; kNative: one part per item; kParts: one part (unchunked)
// or one per chunk, each chunk's method code in `codes` (every method but kModel ends the file
// with the CRC-32 of every byte before it). `chunked` must be what encode_header was given.
std::vector<uint8_t> assemble_file(const std::vector<uint8_t>& header_bytes, Method method, bool chunked,
                                   const std::vector<std::vector<uint8_t>>& parts,
                                   const std::vector<uint8_t>& codes = {});

struct Part {
  const uint8_t* data = nullptr;  // into the buffer given to read_file_v3
  size_t size = 0;
};

struct ParsedFileV3 {
  Header header;
  bool chunked = false;
  std::vector<uint8_t> header_bytes;
  std::vector<Part> parts;  // as assemble_file's parts
  std::vector<uint8_t> codes;  // kParts: each part's method code
  uint32_t crc = 0;         // all but kModel: checked by read_file_v3
};

// The version of a file from its first bytes: 1 to 5; throws FormatError ("not an ardm file",
// "unsupported version", "truncated").
int file_version(const uint8_t* data, size_t size);

// Parses and checks everything that can be checked without the model and the data kind's own
// rules (steps 1-3 of the doc), the CRC-32 of stored and native files included. Versions 3 to 5
// (the same layout but for the context field of 4 and 5, and 5's short prefix).
ParsedFileV3 read_file_v3(const uint8_t* data, size_t size, const KindLayouts& kinds);

// "wrong model" unless the file's model id is the low 16 bits of `fingerprint`.
void check_model_v3(const ParsedFileV3& file, uint32_t fingerprint);


// zlib's CRC-32 of `a` followed by `b`.
uint32_t crc32_of(const std::vector<uint8_t>& a, const uint8_t* b, size_t b_size);

}  // namespace ardm::coding
