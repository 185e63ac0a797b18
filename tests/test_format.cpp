// The file containers alone (no torch): versions 1 and 2 (legacy/, read for old files) and version 3,
// against truncation, bit flips and hostile fields.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numeric>
#include <random>

#include "ardm/coding/format.h"
#include "ardm/coding/freq.h"
#include "ardm/coding/rans.h"
#include "ardm/legacy/format_v12.h"
#include "coding_test_util.h"

using namespace ardm::coding;
using namespace ardm::legacy;
using namespace coding_test;

TEST(Format, RoundTripAndOverhead) {
  ToyImageCodec codec(784);
  std::mt19937_64 g(7);
  const auto img = codec.sample_image(g);
  for (uint32_t budget : {50u, 784u}) {
    const auto payload = codec.payload(img);
    const auto file = write_file(image_header(budget), {{payload, img}});
    EXPECT_EQ(file.size() - payload.size(), budget < 128 ? 15u : 16u);  // at most 16 bytes beyond the payload
    const auto back = codec.decode_file(file, 0x12345678);
    ASSERT_EQ(back.size(), 1u);
    EXPECT_EQ(back[0], img);
    const auto parsed = read_file(file.data(), file.size());
    EXPECT_EQ(parsed.header.budget, budget);
    EXPECT_EQ(parsed.header.shape, (std::vector<uint32_t>{1, 28, 28}));
  }
  // the payload is within 8 bytes of the ideal code length under the quantized tables
  double ideal = 0;
  for (size_t i = 0; i < img.size(); ++i) ideal -= std::log2(codec.tabs[i].freq(img[i]) / std::ldexp(1.0, 24));
  const auto payload = codec.payload(img);
  EXPECT_LE(payload.size() * 8.0, ideal + 64.0);
  EXPECT_GE(payload.size() * 8.0, ideal);
  // many items in one file
  std::vector<ItemToWrite> items;
  std::vector<std::vector<uint8_t>> imgs;
  for (int i = 0; i < 5; ++i) {
    imgs.push_back(codec.sample_image(g));
    items.push_back({codec.payload(imgs.back()), imgs.back()});
  }
  const auto multi = write_file(image_header(), items);
  EXPECT_EQ(codec.decode_file(multi, 0x12345678), imgs);
}

TEST(Format, EveryTruncationAndEveryBitFlipIsRejected) {
  ToyImageCodec codec(784);
  std::mt19937_64 g(8);
  const auto img = codec.sample_image(g);
  std::vector<uint8_t> img2 = codec.sample_image(g);
  for (const auto& file : {write_file(image_header(), {{codec.payload(img), img}}),
                           write_file(image_header(), {{codec.payload(img), img}, {codec.payload(img2), img2}})}) {
    size_t truncations = 0, flips = 0;
    for (size_t n = 0; n < file.size(); ++n) {
      const std::vector<uint8_t> cut(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
      try {
        codec.decode_file(cut, 0x12345678);
        ADD_FAILURE() << "truncation to " << n << " bytes accepted";
      } catch (const FormatError&) {
        ++truncations;
      } catch (const CodingError&) {
        ++truncations;
      }
    }
    for (size_t bit = 0; bit < file.size() * 8; ++bit) {
      auto bad = file;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      try {
        codec.decode_file(bad, 0x12345678);
        ADD_FAILURE() << "flip of bit " << bit << " accepted";
      } catch (const FormatError&) {
        ++flips;
      } catch (const CodingError&) {
        ++flips;
      }
    }
    EXPECT_EQ(truncations, file.size());
    EXPECT_EQ(flips, file.size() * 8);
  }
}

TEST(Format, HostileFieldsGiveClearErrors) {
  ToyImageCodec codec(784);
  std::mt19937_64 g(9);
  const auto img = codec.sample_image(g);
  const auto file = write_file(image_header(), {{codec.payload(img), img}});
  auto message = [](const std::vector<uint8_t>& f) -> std::string {
    try {
      read_file(f.data(), f.size());
    } catch (const FormatError& e) {
      return e.what();
    }
    return "";
  };
  auto with = [&](size_t at, uint8_t v) {
    auto f = file;
    f[at] = v;
    return f;
  };
  EXPECT_EQ(message({}).rfind("truncated", 0), 0u);
  EXPECT_EQ(message(with(0, 'P')).rfind("not an ardm file", 0), 0u);
  EXPECT_EQ(message(with(2, static_cast<uint8_t>((3 << 4) | 2))).rfind("unsupported version 3", 0), 0u);
  EXPECT_EQ(message(with(2, static_cast<uint8_t>(2))).rfind("unsupported version 0", 0), 0u);
  EXPECT_EQ(message(with(2, static_cast<uint8_t>((1 << 4) | (5 << 1)))).rfind("corrupted: unknown data kind 5", 0), 0u);
  EXPECT_EQ(message(with(7, 2)).rfind("corrupted: an image has 1 or 3 channels", 0), 0u);
  try {
    codec.decode_file(file, 0xCAFEBABE);
    FAIL() << "wrong model accepted";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("wrong model: the file was made with model 12345678", 0), 0u);
  }
  // overlong varint for the budget (50 written as 0xB2 0x00)
  auto overlong = file;
  overlong.insert(overlong.begin() + 11, 0x00);
  overlong[10] |= 0x80;
  EXPECT_NE(message(overlong).find("overlong"), std::string::npos);
  // a multi-item header claiming 2^34 items is rejected before anything is allocated
  std::vector<uint8_t> huge = {kMagic0, kMagic1, static_cast<uint8_t>((1 << 4) | (1 << 1) | 1), 0, 0, 0, 0, 1, 28, 28, 50,
                               0x80, 0x80, 0x80, 0x80, 0x40};
  EXPECT_EQ(message(huge).rfind("truncated", 0), 0u);
  // trailing garbage
  auto longer = file;
  longer.push_back(0);
  longer.push_back(0);
  longer.push_back(0);
  longer.push_back(0);
  EXPECT_THROW(codec.decode_file(longer, 0x12345678), std::runtime_error);
  // the writer refuses what the reader would refuse
  auto h = image_header(0);
  EXPECT_THROW(write_file(h, {{codec.payload(img), img}}), FormatError);
  EXPECT_THROW(write_file(image_header(), {{codec.payload(img), std::vector<uint8_t>(10)}}), FormatError);
}

TEST(Format, VersionTwoRecordsTheModelKind) {
  // OA-ARDM files are written as version 1 (unchanged bytes); an Upscale model's as version 2,
  // with the model kind after the fingerprint. The budget's range follows the kind's stages.
  ToyImageCodec codec(12);
  std::mt19937_64 g(3);
  const auto img = codec.sample_image(g);
  FileHeader h;
  h.model_fingerprint = 0x12345678;
  h.shape = {1, 3, 4};
  h.budget = 4;
  const auto v1 = write_file(h, {{codec.payload(img), img}});
  EXPECT_EQ(v1[2] >> 4, 1);
  h.process = process_code(4, true);  // b = 4: 4 stages for 8-bit values
  const auto v2 = write_file(h, {{codec.payload(img), img}});
  EXPECT_EQ(v2[2] >> 4, 2);
  EXPECT_EQ(v2.size(), v1.size() + 1);  // the kind costs one byte
  const auto f = read_file(v2.data(), v2.size());
  EXPECT_EQ(f.header.process, process_code(4, true));
  EXPECT_EQ(describe_process(f.header.process), "Upscale ARDM (b = 4, matrix)");
  try {
    check_model(f, 0, 0x12345678);
    FAIL() << "an Upscale file was accepted for an OA-ARDM model";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("wrong model: the file was made by an Upscale ARDM (b = 4, matrix) model", 0), 0u)
        << e.what();
  }
  EXPECT_NO_THROW(check_model(f, process_code(4, true), 0x12345678));
  // Budgets: at least one call per stage, at most S*D.
  h.budget = 3;
  EXPECT_THROW(write_file(h, {{codec.payload(img), img}}), FormatError);
  h.budget = 4 * 12;
  EXPECT_NO_THROW(write_file(h, {{codec.payload(img), img}}));
  h.budget = 4 * 12 + 1;
  EXPECT_THROW(write_file(h, {{codec.payload(img), img}}), FormatError);
  // A version-2 file must name an Upscale kind; 0 or a branching factor below 2 is corrupt.
  auto bad = v2;
  bad[7] = 0;
  EXPECT_THROW(read_file(bad.data(), bad.size()), FormatError);
  bad[7] = 3;  // b = 1
  EXPECT_THROW(read_file(bad.data(), bad.size()), FormatError);
}

// ---------------- Format version 3 ----------------

namespace {

// The container knows data kinds only by code: three made-up kinds, the third with container bytes.
const KindLayouts kKinds = {{1, false}, {2, false}, {3, true}};

ParsedFileV3 read_file_v3(const uint8_t* data, size_t size) { return ardm::coding::read_file_v3(data, size, kKinds); }

Header image_v3(uint32_t budget = 20) {
  Header h;
  h.model_id = 0x5678;
  h.budget = budget;
  h.description.kind = 1;
  return h;
}

// A version-3 file of the toy codec: each 784-value chunk a checked stream.
std::vector<uint8_t> toy_v3_file(const ToyImageCodec& codec, const std::vector<std::vector<uint8_t>>& imgs,
                                 uint32_t fingerprint) {
  Header h = image_v3();
  h.described = imgs.size() > 1;
  if (h.described) h.description.shape = {imgs.size(), 1, 28, 28};
  const bool chunked = imgs.size() > 1;
  const auto head = encode_header(h, chunked);
  std::vector<std::vector<uint8_t>> parts;
  for (size_t i = 0; i < imgs.size(); ++i) {
    std::vector<CodedSymbol> syms;
    for (size_t j = 0; j < imgs[i].size(); ++j) syms.push_back({codec.tabs[j].start(imgs[i][j]), codec.tabs[j].freq(imgs[i][j])});
    parts.push_back(encode_checked(syms, chunk_check(fingerprint, head, i, imgs[i].data(), imgs[i].size())));
  }
  return assemble_file(head, Method::kModel, chunked, parts);
}

std::vector<std::vector<uint8_t>> toy_v3_decode(const ToyImageCodec& codec, const std::vector<uint8_t>& file,
                                                uint32_t fingerprint) {
  const auto f = read_file_v3(file.data(), file.size());
  check_model_v3(f, fingerprint);
  const size_t count = f.header.described ? f.header.description.shape[0] : 1;
  if (f.parts.size() != count) throw FormatError("corrupted: chunk count");
  std::vector<std::vector<uint8_t>> out;
  for (size_t i = 0; i < count; ++i) {
    auto dec = RansDecoder::checked(f.parts[i].data, f.parts[i].size);
    std::vector<uint8_t> img(784);
    for (size_t j = 0; j < img.size(); ++j) {
      const size_t s = codec.tabs[j].find(dec.peek());
      dec.advance(codec.tabs[j].start(s), codec.tabs[j].freq(s));
      img[j] = static_cast<uint8_t>(s);
    }
    dec.check_finished(chunk_check(fingerprint, f.header_bytes, i, img.data(), img.size()));
    out.push_back(img);
  }
  return out;
}

}  // namespace

TEST(FormatV3, FourByteHeaderRoundTripAndEveryDamageRejected) {
  ToyImageCodec codec(784);
  std::mt19937_64 g(33);
  const auto img = codec.sample_image(g), img2 = codec.sample_image(g);
  const uint32_t fp = 0xABCD5678;
  const auto one = toy_v3_file(codec, {img}, fp);
  EXPECT_EQ(encode_header(image_v3(), false).size(), 4u);
  EXPECT_EQ(file_version(one.data(), one.size()), 3);
  EXPECT_EQ(toy_v3_decode(codec, one, fp), std::vector<std::vector<uint8_t>>{img});
  const auto two = toy_v3_file(codec, {img, img2}, fp);
  EXPECT_EQ(toy_v3_decode(codec, two, fp), (std::vector<std::vector<uint8_t>>{img, img2}));
  for (const auto& file : {one, two}) {
    size_t rejected = 0;
    for (size_t bit = 0; bit < 8 * file.size(); ++bit) {
      auto bad = file;
      bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      try {
        toy_v3_decode(codec, bad, fp);
        ADD_FAILURE() << "flip of bit " << bit << " accepted";
      } catch (const std::runtime_error&) {
        ++rejected;
      }
    }
    for (size_t n = 0; n < file.size(); ++n) {
      try {
        toy_v3_decode(codec, std::vector<uint8_t>(file.begin(), file.begin() + static_cast<long>(n)), fp);
        ADD_FAILURE() << "truncation to " << n << " bytes accepted";
      } catch (const std::runtime_error&) {
        ++rejected;
      }
    }
    EXPECT_EQ(rejected, 9 * file.size());
  }
  // Another model: its id differs, and the message says so.
  try {
    toy_v3_decode(codec, one, 0xABCD0001);
    FAIL() << "a file of another model was accepted";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("wrong model", 0), 0u) << e.what();
  }
  // The same 16-bit id but another fingerprint: the check fails.
  EXPECT_THROW(toy_v3_decode(codec, one, 0x11115678), CodingError);
}

TEST(FormatV3, DescriptionsOfEveryKindRoundTrip) {
  std::vector<Description> ds(4);
  ds[0].kind = 1, ds[0].shape = {3, 1, 28, 28};
  ds[1].kind = 2, ds[1].shape = {0};
  ds[2].kind = 2, ds[2].shape = {1000000};
  ds[3].kind = 3, ds[3].value_bits = 16, ds[3].shape = {8000, 1}, ds[3].container_bytes = true;
  ds[3].prefix = std::vector<uint8_t>(44, 7), ds[3].suffix = {1, 2, 3};
  for (const auto& d : ds) {
    Header h = image_v3(300);
    h.described = true;
    h.description = d;
    const auto head = encode_header(h, true);
    const auto file = assemble_file(head, Method::kModel, true, {{1, 2, 3}, {4, 5, 6, 7}});
    const auto f = read_file_v3(file.data(), file.size());
    EXPECT_EQ(f.header.description.kind, d.kind);
    EXPECT_EQ(f.header.description.value_bits, d.value_bits);
    EXPECT_EQ(f.header.description.shape, d.shape);
    EXPECT_EQ(f.header.description.prefix, d.prefix);
    EXPECT_EQ(f.header.description.suffix, d.suffix);
    EXPECT_EQ(f.header.budget, 300u);
    ASSERT_EQ(f.parts.size(), 2u);
    EXPECT_EQ(f.parts[1].size, 4u);
    EXPECT_EQ(f.header_bytes, head);
  }
  // Stored 16-bit values: two bytes each, little-endian, and the CRC over header + values.
  const uint16_t v[3] = {1, 0x1234, 0xFFFF};
  EXPECT_EQ(value_bytes(v, 3, 16), (std::vector<uint8_t>{1, 0, 0x34, 0x12, 0xFF, 0xFF}));
  EXPECT_THROW(value_bytes(v, 3, 8), FormatError);
  Header h;
  h.method = Method::kStored;
  h.described = true;
  h.description.kind = 3, h.description.value_bits = 16, h.description.shape = {3, 1};
  h.description.container_bytes = true;
  const auto head = encode_header(h, false);
  const auto bytes = value_bytes(v, 3, 16);
  const auto file = assemble_file(head, Method::kStored, false, {bytes});
  const auto f = read_file_v3(file.data(), file.size());
  EXPECT_EQ(std::vector<uint8_t>(f.parts[0].data, f.parts[0].data + f.parts[0].size), bytes);
  EXPECT_EQ(f.crc, crc32_of(head, bytes.data(), bytes.size()));
  // Every flipped bit of a stored file is caught by its CRC, for certain; except the two method
  // bits, which make it a model file that only decoding can reject (Codec.NeverLarger... does).
  for (size_t bit = 0; bit < 8 * file.size(); ++bit) {
    if (bit == 2 || bit == 3) continue;
    auto bad = file;
    bad[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_THROW(read_file_v3(bad.data(), bad.size()), FormatError) << "bit " << bit;
  }
}

TEST(FormatV3, HostileFieldsGiveClearErrors) {
  auto message = [](std::vector<uint8_t> f) -> std::string {
    try {
      read_file_v3(f.data(), f.size());
    } catch (const FormatError& e) {
      return e.what();
    }
    return "accepted";
  };
  auto starts = [](const std::string& m, const std::string& p) { return m.rfind(p, 0) == 0; };
  const std::vector<uint8_t> ok = {0xB0, 0x78, 0x56, 20, 1, 2, 3};
  EXPECT_EQ(message(ok), "accepted");
  EXPECT_TRUE(starts(message({}), "truncated")) << message({});
  EXPECT_TRUE(starts(message({0x42, 1, 2}), "not an ardm file"));
  EXPECT_TRUE(starts(message({0xE0, 1, 2, 3}), "unsupported version"));
  // Version 5: version 4 whose context may be 0 (none), for descriptions with container bytes
  // in their kind's short form (the reader marks them so); nothing else is version 5.
  {
    const std::vector<uint8_t> v5 = {0xD2, 0x78, 0x56, 3, 16, 2, 8, 1, 2, 0xC0, 0x3E, 0, 20, 0, 1, 2, 3};
    EXPECT_EQ(file_version(v5.data(), v5.size()), 5);
    EXPECT_EQ(message(v5), "accepted");
    const auto f = read_file_v3(v5.data(), v5.size());
    EXPECT_TRUE(f.header.description.short_prefix);
    EXPECT_EQ(f.header.description.prefix, (std::vector<uint8_t>{0xC0, 0x3E}));
    EXPECT_EQ(f.header.context, 0u);
    EXPECT_EQ(encode_header(f.header, false), std::vector<uint8_t>(v5.begin(), v5.end() - 3));
    auto h = f.header;
    h.context = 512;
    const auto with512 = assemble_file(encode_header(h, false), Method::kModel, false, {{1, 2, 3}});
    EXPECT_EQ(read_file_v3(with512.data(), with512.size()).header.context, 512u);
    EXPECT_TRUE(starts(message({0xD2, 0x78, 0x56, 3, 16, 2, 8, 1, 2, 0xC0, 0x3E, 0, 20, 0x81, 0x80, 0x80, 0x08, 1, 2, 3}),
                       "corrupted: a context of"));
    EXPECT_TRUE(starts(message({0xD0, 0x78, 0x56, 20, 0, 1, 2, 3}), "corrupted: a version-5 file without container bytes"));
    EXPECT_TRUE(starts(message({0xD2, 0x78, 0x56, 2, 8, 1, 3, 20, 0, 1, 2, 3}), "corrupted: container bytes in data of kind 2"));
    h.description.kind = 2, h.description.container_bytes = false, h.description.prefix.clear();
    EXPECT_THROW(encode_header(h, false), FormatError);  // container bytes' short form, without any
    // Stored: no context field; a chunked parts file without a model part: a context of 0 only.
    Header s = f.header;
    s.method = Method::kStored;
    const auto stored = assemble_file(encode_header(s, false), Method::kStored, false, {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                                                                         13, 14, 15, 16}});
    EXPECT_EQ(stored[0], 0xD6);
    EXPECT_EQ(message(stored), "accepted");
    s.method = Method::kParts, s.chunk_values = 4, s.budget = 0;
    const auto parts = assemble_file(encode_header(s, true), Method::kParts, true, {{1, 2, 3, 4, 5, 6, 7, 8}, {9, 10, 11, 12, 13, 14, 15, 16}}, {1, 1});
    EXPECT_EQ(message(parts), "accepted");
    auto with_context = parts;
    with_context[14] = 1;  // the context field after the budget (0) and chunk length (4)
    ASSERT_EQ(parts[12], 0);
    ASSERT_EQ(parts[13], 4);
    EXPECT_TRUE(starts(message(with_context), "corrupted"));
  }
  // Version 4: version 3 with the context after the budget (method 0) or the chunk length
  // (method 3 chunked with a budget), 1..2^24; nothing else has one.
  EXPECT_EQ(message({0xC0, 0x78, 0x56, 20, 16, 1, 2, 3}), "accepted");
  EXPECT_EQ(read_file_v3(std::vector<uint8_t>{0xC0, 0x78, 0x56, 20, 16, 1, 2, 3}.data(), 8).header.context, 16u);
  EXPECT_TRUE(starts(message({0xC0, 0x78, 0x56, 20, 0, 1, 2, 3}), "corrupted: a context of 0"));
  EXPECT_TRUE(starts(message({0xC0, 0x78, 0x56, 20, 0x81, 0x80, 0x80, 0x08, 1, 2, 3}), "corrupted: a context of"));
  EXPECT_TRUE(starts(message({0xC4, 0x78, 0x56, 1, 2, 3, 4, 5, 6, 7}), "corrupted"));  // stored: never
  EXPECT_EQ(file_version(std::vector<uint8_t>{0xC0}.data(), 1), 4);
  {
    Header h;
    h.method = Method::kModel, h.budget = 20, h.context = 16;
    EXPECT_EQ(encode_header(h, false), (std::vector<uint8_t>{0xC0, 0, 0, 20, 16}));
    h.method = Method::kStored;
    EXPECT_THROW(encode_header(h, false), FormatError);
    h.method = Method::kParts, h.described = true, h.chunk_values = 2, h.budget = 0;
    h.description.kind = 2, h.description.shape = {3};
    EXPECT_THROW(encode_header(h, true), FormatError);  // no model-coded part, no context
    h.budget = 20;
    const auto f = assemble_file(encode_header(h, true), Method::kParts, true, {{1, 2, 3}, {'c'}}, {0, 1});
    EXPECT_EQ(message(f), "accepted");
    EXPECT_EQ(read_file_v3(f.data(), f.size()).header.context, 16u);
  }
  EXPECT_TRUE(starts(message({0xBC, 0x78, 0x56, 1, 2, 3, 4}), "corrupted: coded parts without a description"));
  // Coded parts (method 3): a whole item by a native codec (code >= 2), or chunks with their
  // codes, a budget exactly when one of them is the model's.
  EXPECT_TRUE(starts(message({0xBE, 0x78, 0x56, 2, 8, 1, 3, 1, 9, 9, 9, 9, 9}), "corrupted: method code 1 for a whole item"));
  {
    Header h;
    h.method = Method::kParts, h.described = true, h.chunk_values = 2;
    h.description.kind = 2, h.description.shape = {3};
    EXPECT_EQ(message(assemble_file(encode_header(h, true), Method::kParts, true, {{'a', 'b'}, {'c'}}, {1, 1})), "accepted");
    EXPECT_TRUE(starts(message(assemble_file(encode_header(h, true), Method::kParts, true, {{1, 2, 3}, {'c'}}, {0, 1})),
                       "corrupted: model-coded parts without a budget"));
    h.budget = 20;
    EXPECT_TRUE(starts(message(assemble_file(encode_header(h, true), Method::kParts, true, {{'a', 'b'}, {'c'}}, {1, 1})),
                       "corrupted: a budget without model-coded parts"));
    EXPECT_EQ(message(assemble_file(encode_header(h, true), Method::kParts, true, {{1, 2, 3}, {'c'}}, {0, 1})), "accepted");
    h.chunk_values = 0;
    EXPECT_THROW(encode_header(h, true), FormatError);
  }
  EXPECT_TRUE(starts(message({0xB0, 0x78}), "truncated"));
  EXPECT_TRUE(starts(message({0xB0, 0x78, 0x56, 0, 1, 2, 3}), "corrupted: budget 0"));
  EXPECT_TRUE(starts(message({0xB0, 0x78, 0x56, 0x81, 0x08, 1, 2, 3}), "corrupted: budget 1025"));
  EXPECT_TRUE(starts(message({0xB0, 0x78, 0x56, 0x94, 0x00, 1, 2, 3}), "corrupted: overlong"));
  EXPECT_TRUE(starts(message({0xB0, 0x78, 0x56, 20, 1, 2}), "truncated"));           // payload < 3 bytes
  EXPECT_TRUE(starts(message({0xB1, 0x78, 0x56, 20, 9, 1, 2, 3}), "truncated"));     // chunk longer than the file
  EXPECT_TRUE(starts(message({0xB1, 0x78, 0x56, 20, 2, 1, 2}), "corrupted"));        // a 2-byte chunk
  // Descriptions: kind, bits, rank, sizes, container bytes (what a shape means is the kind's to
  // check: Kinds.DescriptionRulesGiveClearErrors in tests/test_stream_codec.cpp).
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 9, 8, 1, 5, 20, 1, 2, 3}), "unsupported data kind 9"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 0, 8, 1, 5, 20, 1, 2, 3}), "unsupported data kind 0"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 1, 17, 3, 1, 28, 28, 20, 1, 2, 3}), "corrupted: 17-bit values"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 1, 0, 3, 1, 28, 28, 20, 1, 2, 3}), "corrupted: 0-bit values"));
  EXPECT_EQ(message({0xB2, 0x78, 0x56, 1, 16, 3, 1, 28, 28, 20, 1, 2, 3}), "accepted");
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 1, 8, 9, 20, 1, 2, 3}), "corrupted: rank 9"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 1, 8, 0, 20, 1, 2, 3}), "corrupted: rank 0"));
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 3, 16, 2, 8, 1, 100, 1, 2, 3}), "truncated: 100 container bytes"));
  EXPECT_EQ(message({0xB2, 0x78, 0x56, 3, 16, 2, 8, 1, 1, 7, 0, 20, 1, 2, 3}), "accepted");
  // 2^35 - 1 images of 65,535 x 65,535: more than 2^40 values.
  EXPECT_TRUE(starts(message({0xB2, 0x78, 0x56, 1, 8, 4, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 1, 0xFF, 0xFF, 0x03, 0xFF, 0xFF, 0x03,
                              20, 1, 2, 3}),
                     "corrupted: more than 2^40"));
  // Stored: exactly the values plus the CRC of every byte before it.
  auto with_crc = [](std::vector<uint8_t> f) {
    const uint32_t c = crc32_of({}, f.data(), f.size());
    for (int b = 0; b < 4; ++b) f.push_back(static_cast<uint8_t>(c >> (8 * b)));
    return f;
  };
  EXPECT_TRUE(starts(message(with_crc({0xB6, 0x78, 0x56, 2, 8, 1, 3, 1, 2, 3})), "accepted"));
  EXPECT_TRUE(starts(message({0xB6, 0x78, 0x56, 2, 8, 1, 3, 1, 2, 3, 0, 0, 0, 0}), "corrupted: checksum mismatch"));
  EXPECT_TRUE(starts(message(with_crc({0xB6, 0x78, 0x56, 2, 8, 1, 3, 1, 2})), "corrupted: 2 stored bytes"));
  EXPECT_TRUE(starts(message({0xB5, 0x78, 0x56, 1, 2, 0, 0, 0, 0}), "corrupted: a chunked stored file"));
  EXPECT_TRUE(starts(message({0xB4, 0x78, 0x56, 0, 0, 0}), "truncated: no room for the checksum"));
  // A kind's native codec: any number of parts of at least one byte each.
  EXPECT_TRUE(starts(message(with_crc({0xBB, 0x78, 0x56, 1, 8, 4, 2, 1, 2, 2, 1, 9})), "accepted"));
  EXPECT_TRUE(starts(message(with_crc({0xBB, 0x78, 0x56, 1, 8, 4, 2, 1, 2, 2, 0})), "corrupted: a 0-byte chunk"));
}
