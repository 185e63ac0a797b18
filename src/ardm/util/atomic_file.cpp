#include "ardm/util/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace ardm::util {

AtomicFile::AtomicFile(std::string final_path)
    : final_(std::move(final_path)), temp_(final_ + ".tmp" + std::to_string(::getpid())) {}

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

}  // namespace ardm::util
