#include "ardm/coding/format.h"

#include "ardm/coding/bytes.h"
#include "ardm/coding/crc32.h"
#include "ardm/coding/rans.h"


#include <algorithm>
#include <cstdio>

namespace ardm::coding {
uint32_t crc32_of(const std::vector<uint8_t>& a, const uint8_t* b, size_t b_size) {
  return crc32_update(crc32_update(0, a.data(), a.size()), b, b_size);
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
  if (!d.container_bytes && (!d.prefix.empty() || !d.suffix.empty() || d.short_prefix))
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
    case Method::kParts: return "parts";
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
  if (m > 3) throw FormatError("unknown method " + std::to_string(m));
  if (h.method == Method::kParts && !h.described) throw FormatError("a file of coded parts has a description");
  const bool model_chunks = h.method == Method::kModel || (h.method == Method::kParts && chunked && h.budget != 0);
  if (h.context > kMaxContext || (h.context > 0 && !model_chunks))
    throw FormatError("a context of " + std::to_string(h.context) + " values belongs to model-coded chunks, 1.." +
                      std::to_string(kMaxContext));
  const bool v5 = h.described && h.description.short_prefix;
  const uint8_t signature = v5 ? kSignatureV5 : h.context > 0 ? kSignatureV4 : kSignatureV3;
  std::vector<uint8_t> out = {static_cast<uint8_t>(signature | (m << 2) | (h.described ? 2 : 0) | (chunked ? 1 : 0)),
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
    if (h.context > 0 || v5) put_varint(out, h.context);
  } else if (chunked && h.method == Method::kStored) {
    throw FormatError("a stored file is never chunked");
  } else if (h.method == Method::kParts && chunked) {
    if (h.budget != 0) check_budget_field(h.budget);
    if (h.chunk_values < 1 || h.chunk_values > kMaxDescribedValues) throw FormatError("chunks of no values");
    put_varint(out, h.budget);
    put_varint(out, h.chunk_values);
    if (h.context > 0 || v5) put_varint(out, h.context);
  } else if (h.method == Method::kParts) {
    if (h.code < kPartNative || h.code > kMaxPartCode) throw FormatError("a whole item by a native codec has code 2..63");
    out.push_back(h.code);
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
                                   const std::vector<std::vector<uint8_t>>& parts, const std::vector<uint8_t>& codes) {
  if (parts.empty()) throw FormatError("a file needs at least one part");
  if (!chunked && parts.size() != 1) throw FormatError("an unchunked file has exactly one part");
  if (method == Method::kStored && parts.size() != 1) throw FormatError("a stored file has one part");
  const bool coded_parts = method == Method::kParts && chunked;
  if (coded_parts != (codes.size() == parts.size()) || (!coded_parts && !codes.empty()))
    throw FormatError("method codes are given for the parts of a chunked kParts file, one each");
  std::vector<uint8_t> out = header_bytes;
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    const int code = coded_parts                  ? codes[i]
                     : method == Method::kModel   ? kPartModel
                     : method == Method::kStored  ? kPartStored
                                                  : kPartNative;
    if (code > kMaxPartCode) throw FormatError("a part's method code above 63");
    if (code == kPartModel && p.size() < kMinCheckedStream) throw FormatError("a payload has at least 3 bytes");
    if (code >= kPartNative && p.empty()) throw FormatError("an empty native part");
    if (coded_parts) out.push_back(static_cast<uint8_t>(code));
    if (chunked) put_varint(out, p.size());
    out.insert(out.end(), p.begin(), p.end());
  }
  if (method != Method::kModel) put_u32(out, crc32_of({}, out.data(), out.size()));
  return out;
}

int file_version(const uint8_t* data, size_t size) {
  if (size < 1) throw FormatError("truncated: an empty file");
  if ((data[0] & 0xF0) == kSignatureV3) return 3;
  if ((data[0] & 0xF0) == kSignatureV4) return 4;
  if ((data[0] & 0xF0) == kSignatureV5) return 5;
  if ((data[0] & 0xF0) == 0xE0)
    throw FormatError("unsupported version (a file from a newer ardm; this build reads versions 1 to 5)");
  if (data[0] != kMagic0) throw FormatError("not an ardm file (bad signature)");
  if (size < 3) throw FormatError("truncated: not even a magic number");
  if (data[1] != kMagic1) throw FormatError("not an ardm file (bad magic number)");
  const int version = data[2] >> 4;
  if (version < 1 || version > 2)
    throw FormatError("unsupported version " + std::to_string(version) + " (this build reads versions 1 to 5)");
  return version;
}

ParsedFileV3 read_file_v3(const uint8_t* data, size_t size, const KindLayouts& kinds) {
  const int version = file_version(data, size);
  if (version < 3) throw FormatError("unsupported version: not a version-3, -4 or -5 file");
  ByteReader r{data, size};
  const uint8_t sig = r.byte("signature");
  ParsedFileV3 f;
  const uint8_t m = (sig >> 2) & 3;
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
    d.short_prefix = version == 5;
    check_description(d);
  }
  if (f.header.method == Method::kParts && !f.header.described) throw FormatError("corrupted: coded parts without a description");
  if (version == 5 && !(f.header.described && f.header.description.container_bytes))
    throw FormatError("corrupted: a version-5 file without container bytes");
  if (f.header.method == Method::kModel) {
    const uint64_t budget = r.varint("budget");
    check_budget_field(budget);
    f.header.budget = static_cast<uint32_t>(budget);
    if (version >= 4) f.header.context = r.varint("context");
  } else if (f.chunked && f.header.method == Method::kStored) {
    throw FormatError("corrupted: a chunked stored file");
  } else if (f.header.method == Method::kParts && f.chunked) {
    const uint64_t budget = r.varint("budget");
    if (budget != 0) check_budget_field(budget);
    f.header.budget = static_cast<uint32_t>(budget);
    f.header.chunk_values = r.varint("chunk length");
    if (f.header.chunk_values < 1) throw FormatError("corrupted: chunks of 0 values");
    if (version >= 4) {
      f.header.context = r.varint("context");
      if (budget == 0 && (version == 4 || f.header.context != 0)) throw FormatError("corrupted: a context without model-coded parts");
    }
  } else if (f.header.method == Method::kParts) {
    f.header.code = r.byte("method code");
    if (f.header.code < kPartNative || f.header.code > kMaxPartCode)
      throw FormatError("corrupted: method code " + std::to_string(f.header.code) + " for a whole item");
  }
  if (version == 4 && (f.header.context < 1 || f.header.context > kMaxContext))
    throw FormatError(f.header.context == 0 && f.header.method != Method::kModel && !(f.header.method == Method::kParts && f.chunked)
                          ? "corrupted: a version-4 file without model-coded chunks"
                          : "corrupted: a context of " + std::to_string(f.header.context) + " values");
  if (version == 5 && f.header.context > kMaxContext)
    throw FormatError("corrupted: a context of " + std::to_string(f.header.context) + " values");
  f.header_bytes.assign(data, data + r.pos);

  size_t end = size;  // where the parts end
  if (f.header.method != Method::kModel) {
    if (r.left() < 4) throw FormatError("truncated: no room for the checksum");
    end = size - 4;
    ByteReader c{data, size, end};
    f.crc = c.u32("checksum");
    // The CRC covers every byte before it: any single flipped bit is caught for certain.
    const std::vector<uint8_t> none;
    if (crc32_of(none, data, end) != f.crc) throw FormatError("corrupted: checksum mismatch");
  }
  auto min_part = [](int code) -> size_t { return code == kPartModel ? kMinCheckedStream : code >= kPartNative ? 1 : 0; };
  const int file_code = f.header.method == Method::kModel    ? kPartModel
                        : f.header.method == Method::kStored ? kPartStored
                                                             : kPartNative;
  const bool coded_parts = f.header.method == Method::kParts && f.chunked;
  if (!f.chunked) {
    if (end - r.pos < min_part(file_code)) throw FormatError("truncated: the payload is missing");
    f.parts.push_back({data + r.pos, end - r.pos});
  } else {
    ByteReader c{data, end, r.pos};
    while (c.left() > 0) {
      int code = file_code;
      if (coded_parts) {
        code = c.byte("method code");
        if (code > kMaxPartCode) throw FormatError("corrupted: method code " + std::to_string(code));
        f.codes.push_back(static_cast<uint8_t>(code));
      }
      const uint64_t n = c.varint("chunk length");
      if (n < min_part(code) || n > c.left())
        throw FormatError(n > c.left() ? "truncated: chunk " + std::to_string(f.parts.size()) + " needs " +
                                             std::to_string(n) + " bytes, " + std::to_string(c.left()) + " left"
                                       : "corrupted: a " + std::to_string(n) + "-byte chunk");
      f.parts.push_back({data + c.pos, static_cast<size_t>(n)});
      c.pos += static_cast<size_t>(n);
    }
    if (f.parts.empty()) throw FormatError("truncated: no chunks");
  }
  if (coded_parts) {  // a budget exactly when some part is the model's
    const bool model = std::find(f.codes.begin(), f.codes.end(), kPartModel) != f.codes.end();
    if (model != (f.header.budget != 0))
      throw FormatError(model ? "corrupted: model-coded parts without a budget" : "corrupted: a budget without model-coded parts");
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


}  // namespace ardm::coding
