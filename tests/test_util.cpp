// AtomicFile: unique temporary files, so writers of one path (or of colliding names) never share one.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "ardm/util/atomic_file.h"

namespace fs = std::filesystem;
using ardm::util::AtomicFile;

namespace {

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& name)
      : path(fs::temp_directory_path() / ("ardm-util-" + std::to_string(::getpid()) + "-" + name)) {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::vector<std::string> names() const {
    std::vector<std::string> n;
    for (const auto& e : fs::directory_iterator(path)) n.push_back(e.path().filename().string());
    return n;
  }
};

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST(AtomicFile, TwoWritersOfOnePathHaveTheirOwnTemporaryFiles) {
  TempDir dir("two");
  const std::string final_path = (dir.path / "out.bin").string();
  {
    AtomicFile a(final_path), b(final_path);
    EXPECT_NE(a.temp_path(), b.temp_path());
    for (const AtomicFile* f : {&a, &b}) {
      EXPECT_EQ(f->temp_path().rfind(final_path + ".tmp.", 0), 0u) << f->temp_path();  // same folder
      EXPECT_TRUE(fs::exists(f->temp_path()));  // created already: the name is taken
    }
    std::ofstream(a.temp_path()) << "from a";
    std::ofstream(b.temp_path()) << "from b";
    a.commit();
    EXPECT_EQ(read_text(final_path), "from a");
    b.commit();
    EXPECT_EQ(read_text(final_path), "from b");
  }
  EXPECT_EQ(dir.names(), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, UncommittedLeavesNoTemporaryFileAndKeepsTheOldContent) {
  TempDir dir("uncommitted");
  const std::string final_path = (dir.path / "out.bin").string();
  {
    AtomicFile a(final_path);
    std::ofstream(a.temp_path()) << "never committed";
  }
  EXPECT_TRUE(dir.names().empty());
  std::ofstream(final_path) << "old";
  {
    AtomicFile a(final_path);
    std::ofstream(a.temp_path()) << "new";
  }
  EXPECT_EQ(dir.names(), std::vector<std::string>{"out.bin"});
  EXPECT_EQ(read_text(final_path), "old");
}

TEST(AtomicFile, ConcurrentWritersOfOnePathAllSucceed) {
  TempDir dir("threads");
  const std::string final_path = (dir.path / "out.bin").string();
  constexpr int kThreads = 4, kWrites = 25;
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t)
    workers.emplace_back([&, t] {
      try {
        const std::vector<uint8_t> bytes(1000, static_cast<uint8_t>(t));
        for (int i = 0; i < kWrites; ++i) ardm::util::write_file_atomic(final_path, bytes);
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  for (auto& w : workers) w.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  // Whoever renamed last, the file is one writer's complete content.
  const std::string got = read_text(final_path);
  ASSERT_EQ(got.size(), 1000u);
  EXPECT_EQ(got, std::string(1000, got[0]));
  EXPECT_EQ(dir.names(), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, ResultHasTheModeOfAPlainNewFile) {
  TempDir dir("mode");
  const mode_t mask = ::umask(022);  // read the process's umask (and put it back)
  ::umask(mask);
  const std::string final_path = (dir.path / "out.bin").string();
  ardm::util::write_file_atomic(final_path, {1, 2, 3});
  struct stat st {};
  ASSERT_EQ(::stat(final_path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0666 & ~mask);  // not mkstemp's private 0600
}
