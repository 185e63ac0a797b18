#include "ardm/data/idx.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace ardm::data {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

// Upper bound on the inflated size we accept, so a hostile file cannot make us allocate
// without limit (the largest IDX file we know of, MNIST train images, is 47 MB).
constexpr size_t kMaxInflatedBytes = size_t{1} << 31;

}  // namespace

std::vector<uint8_t> read_gzip_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::vector<uint8_t> packed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (packed.size() < 18 || packed[0] != 0x1f || packed[1] != 0x8b) fail(path, "not a gzip file");

  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) fail(path, "zlib initialisation failed");
  zs.next_in = packed.data();
  zs.avail_in = static_cast<uInt>(packed.size());

  std::vector<uint8_t> out;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out.size() >= kMaxInflatedBytes) {
      inflateEnd(&zs);
      fail(path, "inflated data larger than 2 GiB; not an IDX file");
    }
    const size_t old = out.size();
    out.resize(old + (size_t{1} << 20));
    zs.next_out = out.data() + old;
    zs.avail_out = static_cast<uInt>(out.size() - old);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(out.size() - zs.avail_out);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR || (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)) {
      inflateEnd(&zs);
      fail(path, "truncated gzip data (the file ends before the compressed stream does)");
    }
    if (rc != Z_OK) {
      const std::string msg = zs.msg ? zs.msg : "error " + std::to_string(rc);
      inflateEnd(&zs);
      fail(path, "corrupt gzip data: " + msg);
    }
  }
  inflateEnd(&zs);
  return out;
}

IdxArray parse_idx_u8(const std::vector<uint8_t>& bytes, int expected_ndim, const std::string& name) {
  if (bytes.size() < 4) fail(name, "too short for an IDX header");
  if (bytes[0] != 0 || bytes[1] != 0) fail(name, "wrong IDX magic number (first two bytes must be 0)");
  if (bytes[2] != 0x08) fail(name, "IDX element type " + std::to_string(bytes[2]) + " is not unsigned byte (8)");
  const int ndim = bytes[3];
  if (ndim != expected_ndim)
    fail(name, "IDX array has " + std::to_string(ndim) + " dimensions, expected " + std::to_string(expected_ndim));
  const size_t header = 4 + 4 * static_cast<size_t>(ndim);
  if (bytes.size() < header) fail(name, "truncated IDX header");
  IdxArray a;
  size_t count = 1;
  for (int i = 0; i < ndim; ++i) {
    const uint8_t* p = bytes.data() + 4 + 4 * i;
    const uint32_t d = (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
    if (d == 0) fail(name, "IDX dimension " + std::to_string(i) + " is zero");
    a.dims.push_back(d);
    if (count > kMaxInflatedBytes / d) fail(name, "IDX dimensions too large");
    count *= d;
  }
  if (bytes.size() - header != count)
    fail(name, "IDX payload has " + std::to_string(bytes.size() - header) + " bytes, header says " +
                   std::to_string(count));
  a.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return a;
}

IdxArray read_idx_gz(const std::string& path, int expected_ndim) {
  return parse_idx_u8(read_gzip_file(path), expected_ndim, path);
}

}  // namespace ardm::data
