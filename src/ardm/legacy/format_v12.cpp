#include "ardm/legacy/format_v12.h"

#include <cstdio>

#include "ardm/coding/bytes.h"

namespace ardm::legacy {

using namespace coding;

namespace {

constexpr uint64_t kMaxValues = uint64_t{1} << 28;  // largest C*H*W accepted
constexpr size_t kMinPayload = 8;                   // one rANS state
constexpr size_t kMinItemBytes = 1 + 4 + kMinPayload;

// Stages of an Upscale ARDM over 8-bit values: the smallest S with b^S >= 256.
uint64_t image8_stages(uint32_t process) {
  if (process == 0) return 1;
  const uint64_t b = process >> 1;
  uint64_t s = 0;
  for (uint64_t p = 1; p < 256; p *= b) ++s;
  return s;
}

void check_header(const FileHeader& h) {
  if (h.process != 0 && (h.process >> 1 < 2 || h.process >> 1 > 65536))
    throw FormatError("corrupted: unknown model kind " + std::to_string(h.process));
  if (h.kind != kLegacyImage8) throw FormatError("corrupted: unknown data kind " + std::to_string(h.kind));
  if (h.shape.size() != 3) throw FormatError("corrupted: an image needs 3 dimensions (C, H, W)");
  const uint32_t c = h.shape[0], H = h.shape[1], W = h.shape[2];
  if (c != 1 && c != 3) throw FormatError("corrupted: an image has 1 or 3 channels, not " + std::to_string(c));
  if (H < 1 || H > 65535 || W < 1 || W > 65535)
    throw FormatError("corrupted: image size " + std::to_string(W) + "x" + std::to_string(H) + " out of range");
  if (h.values_per_item() > kMaxValues) throw FormatError("corrupted: image too large");
  const uint64_t stages = image8_stages(h.process);
  if (h.budget < stages || h.budget > stages * h.values_per_item())
    throw FormatError("corrupted: budget " + std::to_string(h.budget) + " outside " + std::to_string(stages) + ".." +
                      std::to_string(stages * h.values_per_item()));
}

void check_payload(size_t n, size_t index) {
  if (n < kMinPayload || n % 4 != 0)
    throw FormatError("corrupted: item " + std::to_string(index) + " has a " + std::to_string(n) +
                      "-byte payload (need a multiple of 4, at least 8)");
}

}  // namespace

uint32_t process_code(int64_t upscale, bool matrix) {
  if (upscale == 0) return 0;
  if (upscale < 2 || upscale > 65536) throw std::invalid_argument("branching factor out of range");
  return static_cast<uint32_t>(2 * upscale + (matrix ? 1 : 0));
}

std::string describe_process(uint32_t code) {
  if (code == 0) return "OA-ARDM";
  return "Upscale ARDM (b = " + std::to_string(code >> 1) + ", " + ((code & 1) ? "matrix" : "direct") + ")";
}

uint64_t FileHeader::values_per_item() const {
  uint64_t n = 1;
  for (uint32_t d : shape) n *= d;
  return n;
}


std::vector<uint8_t> write_file(const FileHeader& h, const std::vector<ItemToWrite>& items) {
  check_header(h);
  if (items.empty()) throw FormatError("corrupted: a file needs at least one item");
  const bool multi = items.size() != 1;
  const uint8_t version = h.process == 0 ? 1 : 2;  // the oldest version that can say it
  std::vector<uint8_t> head = {kMagic0, kMagic1,
                               static_cast<uint8_t>((version << 4) | (static_cast<uint8_t>(h.kind) << 1) |
                                                    (multi ? 1 : 0))};
  put_u32(head, h.model_fingerprint);
  if (version >= 2) put_varint(head, h.process);
  for (uint32_t d : h.shape) put_varint(head, d);
  put_varint(head, h.budget);
  if (multi) put_varint(head, items.size());
  std::vector<uint8_t> out = head;
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& it = items[i];
    check_payload(it.payload.size(), i);
    if (it.data.size() != h.values_per_item())
      throw FormatError("corrupted: item " + std::to_string(i) + " has " + std::to_string(it.data.size()) +
                        " values, the header says " + std::to_string(h.values_per_item()));
    if (multi) put_varint(out, it.payload.size());
    put_u32(out, crc32_of(head, it.data.data(), it.data.size()));
    out.insert(out.end(), it.payload.begin(), it.payload.end());
  }
  return out;
}

ParsedFile read_file(const uint8_t* data, size_t size) {
  ByteReader r{data, size};
  if (size < 2 || data[0] != kMagic0 || data[1] != kMagic1)
    throw FormatError(size < 2 ? "truncated: not even a magic number" : "not an ardm file (bad magic number)");
  r.pos = 2;
  const uint8_t vk = r.byte("version byte");
  const int version = vk >> 4;
  if (version < 1 || version > kFormatVersion)
    throw FormatError("unsupported version " + std::to_string(version) + " (this build reads versions 1 to " +
                      std::to_string(kFormatVersion) + ")");
  ParsedFile f;
  f.header.kind = static_cast<uint8_t>((vk >> 1) & 0x7);
  if (f.header.kind != kLegacyImage8)
    throw FormatError("corrupted: unknown data kind " + std::to_string((vk >> 1) & 0x7));
  const bool multi = vk & 1;
  f.header.model_fingerprint = r.u32("model fingerprint");
  if (version >= 2) {
    const uint64_t p = r.varint("model kind");
    if (p == 0 || p > 0xFFFFFFFFu) throw FormatError("corrupted: model kind " + std::to_string(p) + " in a version-2 file");
    f.header.process = static_cast<uint32_t>(p);
  }
  for (int i = 0; i < 3; ++i) {
    const uint64_t d = r.varint("shape");
    if (d > 65535) throw FormatError("corrupted: image dimension " + std::to_string(d) + " out of range");
    f.header.shape.push_back(static_cast<uint32_t>(d));
  }
  const uint64_t budget = r.varint("budget");
  f.header.budget = budget > 0xFFFFFFFFu ? 0 : static_cast<uint32_t>(budget);
  check_header(f.header);
  uint64_t count = 1;
  if (multi) {
    count = r.varint("item count");
    if (count < 1 || count > r.left() / kMinItemBytes)
      throw FormatError(count < 1 ? "corrupted: item count 0"
                                  : "truncated: " + std::to_string(count) + " items cannot fit in the " +
                                        std::to_string(r.left()) + " bytes left");
  }
  f.header_bytes.assign(data, data + r.pos);
  f.items.reserve(static_cast<size_t>(count));
  for (uint64_t i = 0; i < count; ++i) {
    ItemView v;
    if (multi) {
      const uint64_t n = r.varint("payload length");
      if (n > r.left())
        throw FormatError("truncated: item " + std::to_string(i) + " needs " + std::to_string(n) + " bytes, " +
                          std::to_string(r.left()) + " left");
      v.payload_size = static_cast<size_t>(n);
    }
    v.crc = r.u32("checksum");
    if (!multi) v.payload_size = r.left();
    if (v.payload_size > r.left())
      throw FormatError("truncated: item " + std::to_string(i) + " payload cut short");
    check_payload(v.payload_size, static_cast<size_t>(i));
    v.payload = data + r.pos;
    r.pos += v.payload_size;
    f.items.push_back(v);
  }
  if (r.left() != 0) throw FormatError("corrupted: " + std::to_string(r.left()) + " bytes after the last item");
  return f;
}

void check_model(const ParsedFile& file, uint32_t process, uint32_t fingerprint) {
  if (file.header.process != process)
    throw FormatError("wrong model: the file was made by an " + describe_process(file.header.process) +
                      " model, this model is an " + describe_process(process));
  if (file.header.model_fingerprint != fingerprint) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "wrong model: the file was made with model %08x, this model is %08x",
                  file.header.model_fingerprint, fingerprint);
    throw FormatError(msg);
  }
}

void check_item_crc(const ParsedFile& file, const ItemView& item, const uint8_t* decoded, size_t size) {
  if (crc32_of(file.header_bytes, decoded, size) != item.crc)
    throw FormatError("corrupted: checksum mismatch (the decoded data is not the original)");
}

}  // namespace ardm::legacy
