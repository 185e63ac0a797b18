// The text corpus's split by file: the rule itself against a slow twin and fixed values, a folder
// of small files split deterministically and disjointly, and (when the Debian packages are
// installed) the named sources the same way.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "ardm/data/text.h"

namespace fs = std::filesystem;
using ardm::data::TextFile;

namespace {

// The rule as docs/text-corpus.md states it, written out the slow way: FNV-1a 64 (offset basis
// 14695981039346656037, prime 1099511628211), its high 32 bits mod 100.
std::string reference_split(const std::string& path) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : path) h = (h ^ c) * 1099511628211ull;  // unsigned: mod 2^64
  const auto bucket = static_cast<int>((h / 4294967296ull) % 100);
  if (bucket < 90) return "train";
  if (bucket < 95) return "valid";
  return "test";
}

std::set<std::string> names_of(const std::vector<TextFile>& files) {
  std::set<std::string> out;
  for (const auto& f : files) out.insert(f.name);
  return out;
}

// train, valid and test are disjoint, their union is "all", and each name is where the rule says.
void expect_partition(const std::string& what, const std::vector<TextFile>& all,
                      const std::map<std::string, std::vector<TextFile>>& splits, const std::string& prefix) {
  std::set<std::string> seen;
  size_t total = 0;
  for (const auto& [split, files] : splits) {
    for (const auto& f : files) {
      EXPECT_TRUE(seen.insert(f.name).second) << what << ": " << f.name << " is in two splits";
      ASSERT_EQ(f.name.rfind(prefix, 0), 0u) << f.name;
      EXPECT_EQ(ardm::data::split_of_path(f.name.substr(prefix.size())), split) << f.name;
      EXPECT_FALSE(f.text.empty()) << f.name;
    }
    total += files.size();
  }
  EXPECT_EQ(seen, names_of(all)) << what;
  EXPECT_EQ(total, all.size()) << what;
}

void write_gzip(const fs::path& path, const std::string& text) {
  gzFile f = gzopen(path.string().c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), static_cast<unsigned>(text.size())), static_cast<int>(text.size()));
  gzclose(f);
}

}  // namespace

TEST(TextCorpus, SplitOfPathIsFnv1aHighBitsModHundred) {
  // Fixed values, so that a change of rule (which would move files between splits) is seen.
  EXPECT_EQ(ardm::data::split_of_path("process/changes.rst"), "test");  // bucket 97
  EXPECT_EQ(ardm::data::split_of_path("man2/open.2"), "train");         // bucket 68
  EXPECT_EQ(ardm::data::split_of_path("doc-3.txt"), "valid");
  EXPECT_EQ(ardm::data::split_of_path("doc-8.txt"), "test");
  std::map<std::string, int> count;
  for (int i = 0; i < 3000; ++i) {
    const std::string name = "d" + std::to_string(i % 7) + "/file-" + std::to_string(i) + ".txt";
    const auto s = ardm::data::split_of_path(name);
    ASSERT_EQ(s, reference_split(name)) << name;
    ++count[s];
  }
  // About 90/5/5 (these names are fixed, so the counts are too).
  EXPECT_GT(count["train"], 2600);
  EXPECT_GT(count["valid"], 100);
  EXPECT_GT(count["test"], 100);
}

TEST(TextCorpus, FolderSplitsByFileDisjointlyAndDeterministically) {
  const auto dir = fs::temp_directory_path() / "ardm_text_corpus_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "sub" / "deeper");
  std::set<std::string> expected;
  for (int i = 0; i < 200; ++i) {
    const std::string rel = (i % 3 == 0 ? "sub/" : i % 3 == 1 ? "sub/deeper/" : "") + std::to_string(i) + ".txt";
    std::ofstream(dir / rel, std::ios::binary) << "file " << i << "\n";
    expected.insert(rel);
  }
  write_gzip(dir / "packed.rst.gz", "decompressed text\n");  // named without its .gz
  expected.insert("packed.rst");
  std::ofstream(dir / "empty.txt").close();                                        // skipped: empty
  std::ofstream(dir / "binary.dat", std::ios::binary) << std::string("ab\0cd", 5);  // skipped: a NUL byte
  fs::create_symlink(dir / "0.txt", dir / "alias.txt");                            // skipped: an alias

  const auto all = ardm::data::split_folder(dir.string(), "all");
  EXPECT_EQ(names_of(all), expected);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].name, all[i].name);  // sorted by name
  std::map<std::string, std::vector<TextFile>> splits;
  for (const char* s : {"train", "valid", "test"}) splits[s] = ardm::data::split_folder(dir.string(), s);
  expect_partition("folder", all, splits, "");
  EXPECT_FALSE(splits["valid"].empty());
  EXPECT_FALSE(splits["test"].empty());
  for (const auto& f : all) {
    if (f.name == "packed.rst") {
      EXPECT_EQ(f.text, "decompressed text\n");
    }
  }
  // Deterministic: the same names and bytes a second time.
  const auto again = ardm::data::split_folder(dir.string(), "test");
  ASSERT_EQ(again.size(), splits["test"].size());
  for (size_t i = 0; i < again.size(); ++i) {
    EXPECT_EQ(again[i].name, splits["test"][i].name);
    EXPECT_EQ(again[i].text, splits["test"][i].text);
  }
  // The split depends on the path below the folder only, not on where the folder is.
  const auto moved = fs::temp_directory_path() / "ardm_text_corpus_test_moved";
  fs::remove_all(moved);
  fs::rename(dir, moved);
  EXPECT_EQ(names_of(ardm::data::split_folder(moved.string(), "test")), names_of(splits["test"]));
  EXPECT_THROW(ardm::data::split_folder(moved.string(), "holdout"), std::invalid_argument);
  fs::remove_all(moved);
  EXPECT_THROW(ardm::data::split_folder(moved.string(), "test"), std::runtime_error);
}

// The Debian sources: skipped, saying why, where their packages are not installed.
TEST(TextCorpus, InstalledSourcesSplitByFile) {
  for (const std::string source : {"debian-manuals", "python-doc", "gcide"}) {
    std::vector<TextFile> all;
    try {
      all = ardm::data::text_files(source, "all");
    } catch (const std::runtime_error& e) {
      GTEST_SKIP() << source << ": " << e.what();
    }
    std::map<std::string, std::vector<TextFile>> splits;
    for (const char* s : {"train", "valid", "test"}) splits[s] = ardm::data::text_files(source, s);
    expect_partition(source, all, splits, source + "/");
    EXPECT_FALSE(splits["test"].empty()) << source;
  }
}

TEST(TextCorpus, UnknownSourceNamesTheSources) {
  try {
    ardm::data::text_files("no-such-source", "train");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("linux-doc"), std::string::npos) << e.what();
  }
}
