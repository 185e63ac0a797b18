// Reader for the IDX format of (Fashion-)MNIST, gzip-compressed, as Debian's
// `dataset-fashion-mnist` ships it. The whole file is inflated with zlib and checked (magic,
// element type, dimension count, sizes) before any byte is used.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ardm::data {

struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {60000, 28, 28} for images, {60000} for labels
  std::vector<uint8_t> values;  // row-major, prod(dims) bytes
};

// Inflates a whole .gz file into memory. Throws std::runtime_error naming the path when the
// file is missing, is not gzip, is truncated or is corrupt.
std::vector<uint8_t> read_gzip_file(const std::string& path);

// Parses an unsigned-byte IDX array (type 0x08) with `expected_ndim` dimensions.
IdxArray parse_idx_u8(const std::vector<uint8_t>& bytes, int expected_ndim, const std::string& name);

// read_gzip_file + parse_idx_u8.
IdxArray read_idx_gz(const std::string& path, int expected_ndim);

}  // namespace ardm::data
