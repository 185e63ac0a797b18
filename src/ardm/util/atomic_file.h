// Write-then-rename: the final path either keeps its old content or gets the complete new
// one, never a partial file, even if the process is killed mid-write.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ardm::util {

class AtomicFile {
 public:
  // Creates an empty temporary file with a unique name, `<final_path>.tmp.XXXXXX` (same folder,
  // so the rename cannot cross file systems), mode 0666 less the umask.
  explicit AtomicFile(std::string final_path);
  ~AtomicFile();  // removes the temporary file unless commit() succeeded
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& temp_path() const { return temp_; }  // write the content here, by name
  // fsyncs the temporary file and renames it over the final path.
  void commit();

 private:
  std::string final_;
  std::string temp_;
  bool committed_ = false;
};

// A whole file's bytes; std::runtime_error naming the path on failure.
std::vector<uint8_t> read_file_bytes(const std::string& path);
// Writes bytes through an AtomicFile: the path ends up with all of them or keeps what it had.
void write_file_atomic(const std::string& path, const std::vector<uint8_t>& bytes);

}  // namespace ardm::util
