// The compressed-file container of docs/format.md (versions 1 and 2): header, items, CRCs.
// The reader treats its input as hostile: every field and length is checked before use, it
// never reads outside the buffer, and it allocates nothing in proportion to a length field
// (items are views into the caller's buffer).
#pragma once

#include <cstddef>
#include <cstdint>
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

enum class DataKind : uint8_t { kImage8 = 1 };  // values 0..255, shape {C, H, W}

// Version 1: OA-ARDM files. Version 2 adds the model kind (the process) after the fingerprint;
// the writer uses version 1 whenever the process is OA-ARDM, so those files keep their bytes.
constexpr uint8_t kFormatVersion = 2;
constexpr uint8_t kMagic0 = 0xA7, kMagic1 = 0xD1;

// The model kind as the file records it: 0 = OA-ARDM, 2*b + p = Upscale ARDM with branching
// factor b (2..65,536) and parametrization p (0 direct, 1 matrix).
uint32_t process_code(int64_t upscale, bool matrix);
std::string describe_process(uint32_t code);  // "OA-ARDM", "Upscale ARDM (b = 4, matrix)"

struct FileHeader {
  DataKind kind = DataKind::kImage8;
  uint32_t model_fingerprint = 0;
  uint32_t process = 0;         // process_code of the model that made the file
  std::vector<uint32_t> shape;  // kImage8: {C, H, W}
  uint32_t budget = 0;          // network calls per item (all stages): S..S*prod(shape)

  uint64_t values_per_item() const;  // prod(shape)
};

// One item to write: its rANS payload and its original data (kImage8: prod(shape) bytes), from
// which the CRC is computed.
struct ItemToWrite {
  std::vector<uint8_t> payload;
  std::vector<uint8_t> data;
};

// Serialises a file: the single-item layout for exactly one item, else the multi-item one.
// Throws FormatError for a header the reader would reject.
std::vector<uint8_t> write_file(const FileHeader& header, const std::vector<ItemToWrite>& items);

struct ItemView {
  const uint8_t* payload = nullptr;  // into the buffer given to read_file
  size_t payload_size = 0;
  uint32_t crc = 0;
};

struct ParsedFile {
  FileHeader header;
  std::vector<uint8_t> header_bytes;  // offset 0 up to the first item (what the CRCs cover first)
  std::vector<ItemView> items;
};

// Parses and checks everything that can be checked without the model (steps 1-4 of the doc).
ParsedFile read_file(const uint8_t* data, size_t size);

// "wrong model" unless the file's model kind is `process` and its fingerprint `fingerprint`.
void check_model(const ParsedFile& file, uint32_t process, uint32_t fingerprint);

// "corrupted" unless the CRC of header bytes + decoded data matches the item's.
void check_item_crc(const ParsedFile& file, const ItemView& item, const uint8_t* decoded, size_t size);

// zlib's CRC-32 of `a` followed by `b`.
uint32_t crc32_of(const std::vector<uint8_t>& a, const uint8_t* b, size_t b_size);

}  // namespace ardm::coding
