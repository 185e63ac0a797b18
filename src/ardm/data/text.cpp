#include "ardm/data/text.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace ardm::data {
namespace fs = std::filesystem;
namespace {

const std::array<const char*, 66> kBooks = {
    "Genesis", "Exodus", "Leviticus", "Numbers", "Deuteronomy", "Joshua", "Judges", "Ruth", "1 Samuel", "2 Samuel",
    "1 Kings", "2 Kings", "1 Chronicles", "2 Chronicles", "Ezra", "Nehemiah", "Esther", "Job", "Psalms", "Proverbs",
    "Ecclesiastes", "Song of Solomon", "Isaiah", "Jeremiah", "Lamentations", "Ezekiel", "Daniel", "Hosea", "Joel",
    "Amos", "Obadiah", "Jonah", "Micah", "Nahum", "Habakkuk", "Zephaniah", "Haggai", "Zechariah", "Malachi",
    "Matthew", "Mark", "Luke", "John", "Acts", "Romans", "1 Corinthians", "2 Corinthians", "Galatians", "Ephesians",
    "Philippians", "Colossians", "1 Thessalonians", "2 Thessalonians", "1 Timothy", "2 Timothy", "Titus", "Philemon",
    "Hebrews", "James", "1 Peter", "2 Peter", "1 John", "2 John", "3 John", "Jude", "Revelation"};
const std::array<const char*, 3> kValidBooks = {"Joel", "Titus", "Jude"};
const std::array<const char*, 4> kTestBooks = {"Ruth", "Jonah", "Philippians", "James"};
constexpr size_t kGcideChars = 3'500'000;  // about the Bible's training books

std::string split_of(const std::string& book) {
  for (auto b : kValidBooks)
    if (book == b) return "valid";
  for (auto b : kTestBooks)
    if (book == b) return "test";
  return "train";
}

void check_split(const std::string& split) {
  if (split != "train" && split != "valid" && split != "test" && split != "all")
    throw std::invalid_argument("text split must be train, valid, test or all, not '" + split + "'");
}

std::string read_command(const std::string& cmd, const std::string& hint) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) throw std::runtime_error("cannot run `" + cmd + "`");
  std::string out;
  char buf[65536];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p.get())) > 0;) out.append(buf, n);
  const int rc = pclose(p.release());
  if (rc != 0 || out.empty()) throw std::runtime_error("`" + cmd + "` failed; " + hint);
  return out;
}

// The whole Bible once per process (`bible` takes a fraction of a second, but eval asks twice).
const std::string& whole_bible() {
  static const std::string text = read_command("bible 'Gen1:1-Rev22:21' 2>/dev/null",
                                               "install the Debian package bible-kjv (scripts/setup.sh does)");
  return text;
}

// Every book's text: from its "\n<Book> 1\n" heading to the next book's.
std::vector<std::pair<std::string, std::string>> bible_books() {
  const std::string& t = whole_bible();
  std::vector<size_t> at;
  for (auto b : kBooks) {
    const auto p = t.find(std::string("\n") + b + " 1\n", at.empty() ? 0 : at.back());
    if (p == std::string::npos) throw std::runtime_error(std::string("bible: no heading for the book ") + b);
    at.push_back(p);
  }
  at[0] = 0;
  at.push_back(t.size());
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < kBooks.size(); ++i) out.emplace_back(kBooks[i], t.substr(at[i], at[i + 1] - at[i]));
  return out;
}

std::string gcide_path() {
  const char* env = std::getenv("ARDM_GCIDE");
  return env ? env : "/usr/share/dictd/gcide.dict.dz";
}

std::string read_gzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(path + ": not found; install the Debian package dict-gcide (scripts/setup.sh does)");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  const bool bad = n < 0;
  gzclose(f);
  if (bad || out.empty()) throw std::runtime_error(path + ": unreadable gzip data");
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::ostringstream o;
  o << in.rdbuf();
  return o.str();
}

}  // namespace

int64_t vocab_classes(const std::string& vocab) {
  if (vocab == "text8") return 27;
  if (vocab == "bytes") return 256;
  throw std::invalid_argument("vocabulary must be 'text8' or 'bytes', not '" + vocab + "'");
}

std::vector<uint8_t> text_to_classes(const std::string& bytes, const std::string& vocab) {
  vocab_classes(vocab);
  std::vector<uint8_t> out;
  out.reserve(bytes.size());
  if (vocab == "bytes") return std::vector<uint8_t>(bytes.begin(), bytes.end());
  for (unsigned char c : bytes) {
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c - 'A' + 'a');
    if (c >= 'a' && c <= 'z')
      out.push_back(static_cast<uint8_t>(c - 'a' + 1));
    else if (!out.empty() && out.back() != 0)
      out.push_back(0);
  }
  return out;
}

std::string classes_to_text(const uint8_t* classes, size_t n, const std::string& vocab) {
  vocab_classes(vocab);
  std::string out(reinterpret_cast<const char*>(classes), n);
  if (vocab == "text8")
    for (auto& c : out) c = c == 0 ? ' ' : static_cast<char>('a' + c - 1);
  return out;
}

std::vector<std::string> kjv_books(const std::string& split) {
  check_split(split);
  std::vector<std::string> out;
  for (auto b : kBooks)
    if (split == "all" || split_of(b) == split) out.push_back(b);
  return out;
}

std::string kjv_text(const std::string& split) {
  check_split(split);
  std::string out;
  for (const auto& [name, text] : bible_books())
    if (split == "all" || split_of(name) == split) out += text;
  return out;
}

std::vector<std::string> text_documents(const std::string& sources, const std::string& split) {
  check_split(split);
  std::vector<std::string> docs;
  std::istringstream in(sources);
  for (std::string s; std::getline(in, s, ',');) {
    if (s.empty()) continue;
    if (s == "kjv") {
      for (const auto& [name, text] : bible_books())
        if (split == "all" || split_of(name) == split) docs.push_back(text);
    } else if (s == "gcide") {
      if (split != "train" && split != "all") continue;  // training only
      const std::string all = read_gzip(gcide_path());
      // Pieces of 4 KiB spread evenly, so every letter of the dictionary is seen.
      const size_t piece = 4096, pieces = std::min(all.size() / piece, kGcideChars / piece);
      for (size_t i = 0; i < pieces; ++i) docs.push_back(all.substr(i * (all.size() / pieces), piece));
    } else if (fs::is_directory(s)) {
      std::vector<std::string> files;
      for (const auto& e : fs::recursive_directory_iterator(s))
        if (e.is_regular_file()) files.push_back(e.path().string());
      std::sort(files.begin(), files.end());
      if (files.empty()) throw std::runtime_error(s + ": no files in this folder (no .png images, no text)");
      for (const auto& f : files) docs.push_back(read_file(f));
    } else if (fs::is_regular_file(s)) {
      docs.push_back(read_file(s));
    } else {
      throw std::runtime_error("--data " + s + ": not a folder or a file (give fashion-mnist, kjv, gcide, a file or a folder)");
    }
  }
  if (docs.empty()) throw std::runtime_error("--data " + sources + ": no text for the split '" + split + "'");
  return docs;
}

torch::Tensor load_text(const std::string& sources, const std::string& split, const std::string& vocab,
                        int64_t seq_len, int64_t limit) {
  if (seq_len < 1) throw std::invalid_argument("--seq-len must be at least 1");
  const auto L = static_cast<size_t>(seq_len);
  const size_t stride = split == "train" ? std::max<size_t>(1, L / 2) : L;
  std::vector<uint8_t> all;
  size_t n = 0;
  for (const auto& doc : text_documents(sources, split)) {
    const auto c = text_to_classes(doc, vocab);
    for (size_t at = 0; at + L <= c.size(); at += stride) {
      all.insert(all.end(), c.begin() + static_cast<std::ptrdiff_t>(at), c.begin() + static_cast<std::ptrdiff_t>(at + L));
      if (++n == static_cast<size_t>(limit)) break;
    }
    if (limit > 0 && n == static_cast<size_t>(limit)) break;
  }
  if (n == 0)
    throw std::runtime_error("--data " + sources + ": no text window of " + std::to_string(seq_len) + " characters");
  return torch::from_blob(all.data(), {static_cast<int64_t>(n), seq_len}, torch::kUInt8).clone();
}


}  // namespace ardm::data
