// Format versions 1 and 2 of docs/format.md: files of 8-bit images made by LibTorch's codec
// before the inference engine (read; the writer stays for tests and fuzz corpora). The reader
// treats its input as hostile, as version 3's does (coding/format.h), whose FormatError it throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ardm/coding/format.h"

namespace ardm::legacy {

using coding::FormatError;
using coding::kMagic0;
using coding::kMagic1;

// Versions 1 and 2 hold 8-bit images {C, H, W} only: their data kind field is always this.
constexpr uint8_t kLegacyImage8 = 1;

// Version 1: OA-ARDM files. Version 2 adds the model kind (the process) after the fingerprint;
// the writer uses version 1 whenever the process is OA-ARDM, so those files keep their bytes.
constexpr uint8_t kFormatVersion = 2;

// The model kind as the file records it: 0 = OA-ARDM, 2*b + p = Upscale ARDM with branching
// factor b (2..65,536) and parametrization p (0 direct, 1 matrix).
uint32_t process_code(int64_t upscale, bool matrix);
std::string describe_process(uint32_t code);  // "OA-ARDM", "Upscale ARDM (b = 4, matrix)"

struct FileHeader {
  uint8_t kind = kLegacyImage8;
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

}  // namespace ardm::legacy
