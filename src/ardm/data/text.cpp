#include "ardm/data/text.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
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
constexpr size_t kGcideChars = 3'500'000;  // gcide's training text: about the Bible's training books
// gcide's pieces: small enough that the held-out ones are many (about 60 each for valid and test),
// and in the 8-40 KB size group the benchmarks report.
constexpr size_t kGcidePiece = 32 * 1024;
const char* const kSetupHint = "(scripts/setup.sh --train does)";

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

// A gzip file's bytes; a file that is not gzip comes back as it is (zlib passes it through).
// `hint` ends the message when the file cannot be opened (which package to install).
std::string read_gzip(const std::string& path, const std::string& hint) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error(path + ": cannot open; " + hint);
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  const bool bad = n < 0;
  gzclose(f);
  if (bad) throw std::runtime_error(path + ": unreadable gzip data");
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::ostringstream o;
  o << in.rdbuf();
  return o.str();
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
bool starts_with(const std::string& s, const std::string& head) { return s.compare(0, head.size(), head) == 0; }

// Pictures are text only in name (SVG is XML drawn by tools); a model of prose and code should not learn them.
bool is_image(const std::string& name) {
  for (const char* ext : {".svg", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".bmp", ".pdf", ".eps", ".epub"})
    if (ends_with(name, ext)) return true;
  return false;
}

// A file that may become a document: where it is, and its name below the source's root (without .gz).
struct Candidate {
  std::string path, name;
};

std::string without_gz(const std::string& rel) { return ends_with(rel, ".gz") ? rel.substr(0, rel.size() - 3) : rel; }

// The candidates of one split, read in name order: links are skipped (an alias whose target
// sits in another split would leak the held-out text), and so are empty and binary files.
// `prefix` goes before each name ("linux-doc/"); the split is by the name without it.
std::vector<TextFile> read_split(std::vector<Candidate> files, const std::string& split, const std::string& prefix,
                                 const std::string& hint) {
  std::sort(files.begin(), files.end(), [](const Candidate& a, const Candidate& b) { return a.name < b.name; });
  for (size_t i = 1; i < files.size(); ++i)
    if (files[i].name == files[i - 1].name)
      throw std::runtime_error(files[i - 1].path + " and " + files[i].path + " have the same name " + files[i].name);
  std::vector<TextFile> out;
  for (const auto& f : files) {
    if (split != "all" && split_of_path(f.name) != split) continue;
    if (fs::is_symlink(fs::symlink_status(f.path))) continue;
    std::string text = read_gzip(f.path, hint);
    if (text.empty() || text.find('\0') != std::string::npos) continue;
    out.push_back({prefix + f.name, std::move(text)});
  }
  return out;
}

// Files a Debian package ships below a root folder, as dpkg lists them, so a source is the same
// wherever the package (at the same version) is installed, whatever else is there.
struct PackageTree {
  const char* package;
  const char* root;                       // names are relative to this folder ...
  const char* prefix;                     // ... with this before them
  bool (*keep)(const std::string& rel);  // rel: the path below root, with its .gz
};

const std::vector<std::string>& package_paths(const std::string& package) {
  static std::mutex mutex;
  static std::map<std::string, std::vector<std::string>> cache;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = cache.find(package);
  if (it != cache.end()) return it->second;
  std::string listed;
  try {
    listed = read_command("dpkg-query -L " + package + " 2>/dev/null", "");
  } catch (const std::exception&) {
    throw std::runtime_error("the Debian package " + package + " is not installed (dpkg-query -L " + package +
                             " failed); install it " + kSetupHint);
  }
  std::vector<std::string> paths;
  std::istringstream in(listed);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] == '/') paths.push_back(line);  // not "diverted by ..." notes
  return cache.emplace(package, std::move(paths)).first->second;
}

std::vector<TextFile> package_files(const std::string& source, const std::vector<PackageTree>& trees,
                                    const std::string& split) {
  std::vector<Candidate> files;
  for (const auto& t : trees) {
    const std::string root = std::string(t.root) + "/";
    size_t found = 0;
    for (const auto& p : package_paths(t.package)) {
      if (!starts_with(p, root) || !t.keep(p.substr(root.size()))) continue;
      const auto st = fs::symlink_status(p);
      if (!fs::exists(st))
        throw std::runtime_error(p + ": listed by dpkg for " + t.package +
                                 " but missing (excluded by a dpkg path-exclude?); reinstall the package " + kSetupHint);
      if (fs::is_directory(st)) continue;
      files.push_back({p, t.prefix + without_gz(p.substr(root.size()))});
      ++found;
    }
    if (found == 0) throw std::runtime_error("text source " + source + ": no files below " + root + " in the package " + t.package);
  }
  return read_split(std::move(files), split, source + "/", "install the packages of " + source + " " + kSetupHint);
}

bool keep_any(const std::string&) { return true; }
bool keep_text(const std::string& rel) { return !is_image(without_gz(rel)); }

// Python's library as programs import it. test/ is left out: Debian's stdlib package ships only
// the regression-test driver and its helpers there (the tests are the package libpython3.11-testsuite).
bool keep_python_lib(const std::string& rel) {
  return ends_with(rel, ".py") && !starts_with(rel, "test/") && rel.find("-packages/") == std::string::npos;
}

// The manuals in their plain-text or reST forms, each once: the HTML, PDF, info and EPUB files
// are renderings of the same text, and so are policy.txt and upgrading-checklist.txt (of the
// reST sources kept) and developers-reference.txt (of its reST sources).
const std::vector<PackageTree>& debian_manuals() {
  static const std::vector<PackageTree> trees = {
      {"debian-reference-en", "/usr/share/debian-reference", "debian-reference/",
       [](const std::string& rel) { return rel == "debian-reference.en.txt.gz"; }},
      {"debian-policy", "/usr/share/doc/debian-policy", "debian-policy/",
       [](const std::string& rel) {
         if (starts_with(rel, "policy.html/_sources/")) return true;
         if (rel == "policy.txt.gz" || rel == "upgrading-checklist.txt.gz") return false;
         return ends_with(rel, ".txt.gz") || ends_with(rel, ".yaml.gz");
       }},
      {"developers-reference", "/usr/share/developers-reference", "developers-reference/",
       [](const std::string& rel) { return starts_with(rel, "_sources/"); }},
      {"maint-guide", "/usr/share/doc/maint-guide", "maint-guide/",
       [](const std::string& rel) { return rel == "maint-guide.en.txt.gz"; }},
  };
  return trees;
}

const std::map<std::string, std::vector<PackageTree>>& package_sources() {
  static const std::map<std::string, std::vector<PackageTree>> sources = {
      {"linux-doc", {{"linux-doc-6.1", "/usr/share/doc/linux-doc-6.1/Documentation", "", keep_text}}},
      {"debian-manuals", debian_manuals()},
      {"manpages", {{"manpages", "/usr/share/man", "", keep_any}, {"manpages-dev", "/usr/share/man", "", keep_any}}},
      {"python-lib",
       {{"libpython3.11-minimal", "/usr/lib/python3.11", "", keep_python_lib},
        {"libpython3.11-stdlib", "/usr/lib/python3.11", "", keep_python_lib}}},
      {"python-doc", {{"python3.11-doc", "/usr/share/doc/python3.11/html/_sources", "", keep_any}}},
  };
  return sources;
}

// The dictionary in pieces of at least kGcidePiece bytes, each ending where an entry starts (a
// blank line, then a headword at the start of a line; definitions are indented).
std::vector<std::string> gcide_pieces() {
  const std::string all = read_gzip(gcide_path(), "install the Debian package dict-gcide (scripts/setup.sh does)");
  if (all.empty()) throw std::runtime_error(gcide_path() + ": empty");
  std::vector<std::string> out;
  for (size_t start = 0; start < all.size();) {
    size_t end = all.size();  // the last piece: the rest
    for (size_t q = start + kGcidePiece; q < all.size() && (q = all.find("\n\n", q)) != std::string::npos; ++q)
      if (q + 2 < all.size() && all[q + 2] != ' ' && all[q + 2] != '\t' && all[q + 2] != '\n') {
        end = q + 2;
        break;
      }
    out.push_back(all.substr(start, end - start));
    start = end;
  }
  return out;
}

// gcide's pieces split by name; training keeps only the start of each training piece, so the
// dictionary weighs in the corpus about what it did before it had held-out pieces (kGcideChars),
// still spread over every letter.
std::vector<TextFile> gcide_files(const std::string& split) {
  const auto pieces = gcide_pieces();
  std::vector<std::string> names;
  size_t training = 0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "piece-%04zu", i);
    names.push_back(name);
    training += split_of_path(names.back()) == "train";
  }
  const size_t keep = training == 0 ? 0 : (kGcideChars + training - 1) / training;
  std::vector<TextFile> out;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const std::string s = split_of_path(names[i]);
    if (split != "all" && s != split) continue;
    out.push_back({"gcide/" + names[i], s == "train" ? pieces[i].substr(0, keep) : pieces[i]});
  }
  return out;
}

std::vector<TextFile> source_files(const std::string& s, const std::string& split) {
  if (s == "kjv") {
    std::vector<TextFile> out;
    for (const auto& [name, text] : bible_books())
      if (split == "all" || split_of(name) == split) out.push_back({"kjv/" + name, text});
    return out;
  }
  if (s == "gcide") return gcide_files(split);
  const auto& packages = package_sources();
  if (auto it = packages.find(s); it != packages.end()) return package_files(s, it->second, split);
  // A file or folder given by path: the user's own split, so every split gets all of it, read
  // as it is (no decompression, nothing skipped), as before the named sources had splits.
  if (fs::is_directory(s)) {
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(s))
      if (e.is_regular_file()) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw std::runtime_error(s + ": no files in this folder (no .png images, no text)");
    std::vector<TextFile> out;
    for (const auto& f : files) out.push_back({fs::path(f).lexically_relative(s).generic_string(), read_file(f)});
    return out;
  }
  if (fs::is_regular_file(s)) return {{fs::path(s).filename().string(), read_file(s)}};
  std::string names;
  for (const auto& n : text_source_names()) names += n + ", ";
  throw std::runtime_error("--data " + s + ": not a folder or a file (give fashion-mnist, " + names + "a file or a folder)");
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

std::string split_of_path(const std::string& path) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (unsigned char c : path) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  // The high bits: FNV's low bits depend only on the low bits of each byte.
  const uint64_t bucket = (h >> 32) % 100;
  return bucket < 90 ? "train" : bucket < 95 ? "valid" : "test";
}

std::vector<TextFile> split_folder(const std::string& folder, const std::string& split) {
  check_split(split);
  if (!fs::is_directory(folder)) throw std::runtime_error(folder + ": not a folder");
  std::vector<Candidate> files;
  for (const auto& e : fs::recursive_directory_iterator(folder))
    if (e.is_regular_file() || e.is_symlink())  // read_split skips the links
      files.push_back({e.path().string(), without_gz(e.path().lexically_relative(folder).generic_string())});
  return read_split(std::move(files), split, "", "check the folder");
}

const std::vector<std::string>& text_source_names() {
  static const std::vector<std::string> names = {"kjv",        "gcide",      "linux-doc", "debian-manuals",
                                                 "manpages",   "python-lib", "python-doc", "corpus"};
  return names;
}

std::vector<TextFile> text_files(const std::string& sources, const std::string& split) {
  check_split(split);
  std::vector<TextFile> docs;
  std::istringstream in(sources);
  for (std::string s; std::getline(in, s, ',');) {
    if (s.empty()) continue;
    const auto& names = text_source_names();
    const std::vector<std::string> expanded = s == "corpus" ? std::vector<std::string>(names.begin(), names.end() - 1)
                                                            : std::vector<std::string>{s};
    for (const auto& one : expanded)
      for (auto& f : source_files(one, split)) docs.push_back(std::move(f));
  }
  if (docs.empty()) throw std::runtime_error("--data " + sources + ": no text for the split '" + split + "'");
  return docs;
}

std::vector<std::string> text_documents(const std::string& sources, const std::string& split) {
  std::vector<std::string> out;
  for (auto& f : text_files(sources, split)) out.push_back(std::move(f.text));
  return out;
}

torch::Tensor load_text(const std::string& sources, const std::string& split, const std::string& vocab,
                        int64_t seq_len, int64_t limit) {
  if (seq_len < 1) throw std::invalid_argument("--seq-len must be at least 1");
  const auto L = static_cast<size_t>(seq_len);
  const bool train = split == "train";
  const size_t stride = train ? std::max<size_t>(1, L / 2) : L;
  std::vector<uint8_t> all;
  size_t n = 0;
  for (const auto& doc : text_documents(sources, split)) {
    const auto c = text_to_classes(doc, vocab);
    for (size_t at = 0; at + L <= c.size(); at += stride) {
      all.insert(all.end(), c.begin() + static_cast<std::ptrdiff_t>(at), c.begin() + static_cast<std::ptrdiff_t>(at + L));
      if (train && ++n == static_cast<size_t>(limit)) break;
    }
    if (train && limit > 0 && n == static_cast<size_t>(limit)) break;
  }
  if (!train) n = all.size() / L;
  if (n == 0)
    throw std::runtime_error("--data " + sources + ": no text window of " + std::to_string(seq_len) + " characters");
  auto windows = torch::from_blob(all.data(), {static_cast<int64_t>(n), seq_len}, torch::kUInt8).clone();
  if (train || limit <= 0 || static_cast<size_t>(limit) >= n) return windows;
  // Held-out windows spread evenly over every source and file, not the first sources' alone.
  auto pick = (torch::arange(limit, torch::kInt64) * static_cast<int64_t>(n)).div(limit, "floor");
  return windows.index_select(0, pick);
}


}  // namespace ardm::data
