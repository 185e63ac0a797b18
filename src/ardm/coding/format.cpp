#include "ardm/coding/format.h"
#include "ardm/coding/crc32.h"
#include "ardm/coding/rans.h"


#include <algorithm>
#include <cstdio>

namespace ardm::coding {
namespace {

constexpr int kMaxVarintBytes = 5;
constexpr uint64_t kMaxValues = uint64_t{1} << 28;  // largest C*H*W accepted
constexpr size_t kMinPayload = 8;                   // one rANS state
constexpr size_t kMinItemBytes = 1 + 4 + kMinPayload;

void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  for (int b = 0; b < 4; ++b) out.push_back(static_cast<uint8_t>(v >> (8 * b)));
}

// A bounds-checked cursor over the input.
struct Reader {
  const uint8_t* data;
  size_t size, pos = 0;

  size_t left() const { return size - pos; }
  uint8_t byte(const char* what) {
    if (pos >= size) throw FormatError(std::string("truncated: file ends inside the ") + what);
    return data[pos++];
  }
  uint32_t u32(const char* what) {
    if (left() < 4) throw FormatError(std::string("truncated: file ends inside the ") + what);
    uint32_t v = 0;
    for (int b = 0; b < 4; ++b) v |= uint32_t{data[pos + b]} << (8 * b);
    pos += 4;
    return v;
  }
  uint64_t varint(const char* what) {
    uint64_t v = 0;
    for (int i = 0; i < kMaxVarintBytes; ++i) {
      const uint8_t b = byte(what);
      v |= uint64_t{b & 0x7Fu} << (7 * i);
      if (!(b & 0x80)) {
        if (i > 0 && b == 0) throw FormatError(std::string("corrupted: overlong encoding of the ") + what);
        return v;
      }
    }
    throw FormatError(std::string("corrupted: the ") + what + " is longer than " + std::to_string(kMaxVarintBytes) +
                      " bytes");
  }
};

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

uint32_t crc32_of(const std::vector<uint8_t>& a, const uint8_t* b, size_t b_size) {
  return crc32_update(crc32_update(0, a.data(), a.size()), b, b_size);
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
  Reader r{data, size};
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

// ---------------- Version 3 ----------------

namespace {

// The container's rules for a description (docs/format.md, "Data description"); what a shape
// means is the data kind's to check (kinds/).
void check_description(const Description& d) {
  auto bad = [&](const std::string& what) { throw FormatError("corrupted: " + what); };
  if (d.kind < 1 || d.kind > kMaxKindCode) throw FormatError("unsupported data kind " + std::to_string(d.kind));
  if (d.value_bits < 1 || d.value_bits > 16) bad(std::to_string(d.value_bits) + "-bit values");
  if (d.shape.empty() || d.shape.size() > 8) bad("rank " + std::to_string(d.shape.size()));
  if (!d.container_bytes && (!d.prefix.empty() || !d.suffix.empty()))
    bad("container bytes in data of kind " + std::to_string(d.kind));
  uint64_t n = 1;
  for (uint64_t v : d.shape) {
    if (v > kMaxDescribedValues || (v != 0 && n > kMaxDescribedValues / v)) bad("more than 2^40 values");
    n *= v;
  }
}

void check_budget_field(uint64_t budget) {
  if (budget < 1 || budget > kMaxBudget)
    throw FormatError("corrupted: budget " + std::to_string(budget) + " outside 1.." + std::to_string(kMaxBudget));
}

void put_bytes(std::vector<uint8_t>& out, const std::vector<uint8_t>& bytes) {
  put_varint(out, bytes.size());
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace

const char* method_name(Method m) {
  switch (m) {
    case Method::kModel: return "model";
    case Method::kStored: return "stored";
    case Method::kNative: return "native";
  }
  return "?";
}

uint64_t Description::num_values() const {
  uint64_t n = 1;
  for (uint64_t v : shape) n *= v;
  return n;
}

std::vector<uint8_t> encode_header(const Header& h, bool chunked) {
  const auto m = static_cast<uint8_t>(h.method);
  if (m > 2) throw FormatError("unknown method " + std::to_string(m));
  std::vector<uint8_t> out = {static_cast<uint8_t>(kSignatureV3 | (m << 2) | (h.described ? 2 : 0) | (chunked ? 1 : 0)),
                              static_cast<uint8_t>(h.model_id), static_cast<uint8_t>(h.model_id >> 8)};
  if (h.described) {
    const auto& d = h.description;
    check_description(d);
    put_varint(out, d.kind);
    put_varint(out, d.value_bits);
    put_varint(out, d.shape.size());
    for (uint64_t v : d.shape) put_varint(out, v);
    if (d.container_bytes) {
      put_bytes(out, d.prefix);
      put_bytes(out, d.suffix);
    }
  }
  if (h.method == Method::kModel) {
    check_budget_field(h.budget);
    put_varint(out, h.budget);
  } else if (chunked && h.method == Method::kStored) {
    throw FormatError("a stored file is never chunked");
  }
  return out;
}

std::vector<uint8_t> value_bytes(const uint16_t* values, size_t n, uint32_t value_bits) {
  std::vector<uint8_t> out;
  out.reserve(value_bits > 8 ? 2 * n : n);
  for (size_t i = 0; i < n; ++i) {
    if (value_bits < 16 && (values[i] >> value_bits) != 0)
      throw FormatError("value " + std::to_string(values[i]) + " has more than " + std::to_string(value_bits) + " bits");
    out.push_back(static_cast<uint8_t>(values[i]));
    if (value_bits > 8) out.push_back(static_cast<uint8_t>(values[i] >> 8));
  }
  return out;
}

uint32_t chunk_check(uint32_t fingerprint, const std::vector<uint8_t>& header_bytes, uint64_t index,
                     const uint8_t* bytes, size_t size) {
  std::vector<uint8_t> head;
  put_u32(head, fingerprint);
  head.insert(head.end(), header_bytes.begin(), header_bytes.end());
  put_varint(head, index);
  return crc32_of(head, bytes, size);
}

std::vector<uint8_t> assemble_file(const std::vector<uint8_t>& header_bytes, Method method, bool chunked,
                                   const std::vector<std::vector<uint8_t>>& parts) {
  if (parts.empty()) throw FormatError("a file needs at least one part");
  if (!chunked && parts.size() != 1) throw FormatError("an unchunked file has exactly one part");
  if (method == Method::kStored && parts.size() != 1) throw FormatError("a stored file has one part");
  std::vector<uint8_t> out = header_bytes;
  for (const auto& p : parts) {
    if (method == Method::kModel && p.size() < kMinCheckedStream) throw FormatError("a payload has at least 3 bytes");
    if (method == Method::kNative && p.empty()) throw FormatError("an empty native part");
    if (chunked) put_varint(out, p.size());
    out.insert(out.end(), p.begin(), p.end());
  }
  if (method != Method::kModel) put_u32(out, crc32_of({}, out.data(), out.size()));
  return out;
}

int file_version(const uint8_t* data, size_t size) {
  if (size < 1) throw FormatError("truncated: an empty file");
  if ((data[0] & 0xF0) == kSignatureV3) return 3;
  if ((data[0] & 0xF0) == 0xC0 || (data[0] & 0xF0) == 0xD0)
    throw FormatError("unsupported version (a file from a newer ardm; this build reads versions 1 to 3)");
  if (data[0] != kMagic0) throw FormatError("not an ardm file (bad signature)");
  if (size < 3) throw FormatError("truncated: not even a magic number");
  if (data[1] != kMagic1) throw FormatError("not an ardm file (bad magic number)");
  const int version = data[2] >> 4;
  if (version < 1 || version > 2)
    throw FormatError("unsupported version " + std::to_string(version) + " (this build reads versions 1 to 3)");
  return version;
}

ParsedFileV3 read_file_v3(const uint8_t* data, size_t size, const KindLayouts& kinds) {
  if (file_version(data, size) != 3) throw FormatError("unsupported version: not a version-3 file");
  Reader r{data, size};
  const uint8_t sig = r.byte("signature");
  ParsedFileV3 f;
  const uint8_t m = (sig >> 2) & 3;
  if (m == 3) throw FormatError("unsupported method 3 (a file from a newer ardm?)");
  f.header.method = static_cast<Method>(m);
  f.header.described = sig & 2;
  f.chunked = sig & 1;
  f.header.model_id = static_cast<uint16_t>(r.byte("model id") | (r.byte("model id") << 8));
  if (f.header.described) {
    auto& d = f.header.description;
    const uint64_t kind = r.varint("data kind");
    const auto layout = kinds.find(kind > kMaxKindCode ? 0 : static_cast<uint32_t>(kind));
    if (kind < 1 || layout == kinds.end()) throw FormatError("unsupported data kind " + std::to_string(kind));
    d.kind = static_cast<uint32_t>(kind);
    d.container_bytes = layout->second;
    const uint64_t bits = r.varint("value bits");
    d.value_bits = static_cast<uint32_t>(std::min<uint64_t>(bits, 0xFFFFFFFFu));
    const uint64_t rank = r.varint("rank");
    if (rank < 1 || rank > 8) throw FormatError("corrupted: rank " + std::to_string(rank));
    for (uint64_t i = 0; i < rank; ++i) d.shape.push_back(r.varint("shape"));
    if (d.container_bytes) {
      for (auto* bytes : {&d.prefix, &d.suffix}) {
        const uint64_t n = r.varint("container bytes");
        if (n > r.left()) throw FormatError("truncated: " + std::to_string(n) + " container bytes, " + std::to_string(r.left()) + " left");
        bytes->assign(data + r.pos, data + r.pos + n);
        r.pos += static_cast<size_t>(n);
      }
    }
    check_description(d);
  }
  if (f.header.method == Method::kModel) {
    const uint64_t budget = r.varint("budget");
    check_budget_field(budget);
    f.header.budget = static_cast<uint32_t>(budget);
  } else if (f.chunked && f.header.method == Method::kStored) {
    throw FormatError("corrupted: a chunked stored file");
  }
  f.header_bytes.assign(data, data + r.pos);

  size_t end = size;  // where the parts end
  if (f.header.method != Method::kModel) {
    if (r.left() < 4) throw FormatError("truncated: no room for the checksum");
    end = size - 4;
    Reader c{data, size, end};
    f.crc = c.u32("checksum");
    // The CRC covers every byte before it: any single flipped bit is caught for certain.
    const std::vector<uint8_t> none;
    if (crc32_of(none, data, end) != f.crc) throw FormatError("corrupted: checksum mismatch");
  }
  const size_t min_part = f.header.method == Method::kModel ? kMinCheckedStream : f.header.method == Method::kNative ? 1 : 0;
  if (!f.chunked) {
    if (end - r.pos < min_part) throw FormatError("truncated: the payload is missing");
    f.parts.push_back({data + r.pos, end - r.pos});
  } else {
    Reader c{data, end, r.pos};
    while (c.left() > 0) {
      const uint64_t n = c.varint("chunk length");
      if (n < min_part || n > c.left())
        throw FormatError(n > c.left() ? "truncated: chunk " + std::to_string(f.parts.size()) + " needs " +
                                             std::to_string(n) + " bytes, " + std::to_string(c.left()) + " left"
                                       : "corrupted: a " + std::to_string(n) + "-byte chunk");
      f.parts.push_back({data + c.pos, static_cast<size_t>(n)});
      c.pos += static_cast<size_t>(n);
    }
    if (f.parts.empty()) throw FormatError("truncated: no chunks");
  }
  if (f.header.described) {
    const auto& d = f.header.description;
    if (f.header.method == Method::kStored && f.parts[0].size != d.num_values() * d.value_bytes())
      throw FormatError("corrupted: " + std::to_string(f.parts[0].size) + " stored bytes for " +
                        std::to_string(d.num_values()) + " values");
  }
  return f;
}

void check_model_v3(const ParsedFileV3& file, uint32_t fingerprint) {
  const auto id = static_cast<uint16_t>(fingerprint);
  if (file.header.model_id != id) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "wrong model: the file was made with model %04x, this model is %04x",
                  file.header.model_id, id);
    throw FormatError(msg);
  }
}

void check_item_crc(const ParsedFile& file, const ItemView& item, const uint8_t* decoded, size_t size) {
  if (crc32_of(file.header_bytes, decoded, size) != item.crc)
    throw FormatError("corrupted: checksum mismatch (the decoded data is not the original)");
}

}  // namespace ardm::coding
