#include "ardm/util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace ardm::util {

namespace {

// mkstemp creates 0600; outputs get the mode a plain fopen would give them, 0666 less the umask.
// umask() can only be read by setting it, so it is read once at load time, before any worker
// thread could be creating files under the briefly changed mask.
const mode_t kFileMode = [] {
  const mode_t mask = ::umask(022);
  ::umask(mask);
  return static_cast<mode_t>(0666 & ~mask);
}();

}  // namespace

// The temporary name is unique (mkstemp), not just per process: worker threads may write the
// same final path, or files whose temporary names would collide, at the same time.
AtomicFile::AtomicFile(std::string final_path) : final_(std::move(final_path)) {
  std::string name = final_ + ".tmp.XXXXXX";
  const int fd = ::mkstemp(name.data());
  if (fd < 0) throw std::runtime_error(final_ + ": cannot create a temporary file beside it: " + std::strerror(errno));
  const bool mode_ok = ::fchmod(fd, kFileMode) == 0;
  const int err = errno;
  ::close(fd);
  if (!mode_ok) {
    std::remove(name.c_str());
    throw std::runtime_error(name + ": cannot set the file mode: " + std::strerror(err));
  }
  temp_ = std::move(name);
}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::commit() {
  const int fd = ::open(temp_.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error(temp_ + ": cannot reopen to sync: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error(temp_ + ": fsync failed: " + std::strerror(errno));
  if (std::rename(temp_.c_str(), final_.c_str()) != 0)
    throw std::runtime_error(final_ + ": cannot rename the finished file into place: " + std::strerror(errno));
  committed_ = true;
}

namespace {
struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;
}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) bytes.insert(bytes.end(), buf, buf + n);
  if (std::ferror(f.get())) throw std::runtime_error(path + ": read error: " + std::strerror(errno));
  return bytes;
}

void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes) {
  util::AtomicFile out(path);
  {
    File f(std::fopen(out.temp_path().c_str(), "wb"));
    if (!f) throw std::runtime_error(out.temp_path() + ": cannot create: " + std::strerror(errno));
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f.get()) != bytes.size())
      throw std::runtime_error(path + ": write failed: " + std::strerror(errno));
    if (std::fflush(f.get()) != 0) throw std::runtime_error(path + ": write failed: " + std::strerror(errno));
  }
  out.commit();
}

}  // namespace ardm::util
