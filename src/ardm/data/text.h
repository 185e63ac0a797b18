// Text corpora as integer class sequences (spec sections 1 and 5: text8 and bytes).
//
// Vocabularies: "bytes" keeps every byte (256 classes, any file at all); "text8" is the
// paper's: lowercase a-z and space (27 classes; space = 0, a..z = 1..26), made as text8 was
// made: letters lowercased, every run of other bytes one space.
//
// Sources (comma-separated in --data, e.g. "kjv,gcide"; docs/text-corpus.md has their sizes):
//   kjv             the King James Bible as Debian's `bible` prints it, split by whole books:
//                   valid = Joel, Titus, Jude; test = Ruth, Jonah, Philippians, James; train = the other 59.
//   gcide           the GCIDE dictionary (dict-gcide) cut into pieces of about 32 KiB at entry
//                   boundaries; training takes the start of each training piece (about 3.5 MB in all).
//   linux-doc       the kernel's Documentation tree (linux-doc-6.1), images left out.
//   debian-manuals  Debian's reference, policy, developer's reference and maintainer's guide as
//                   plain text or reST (debian-reference-en, debian-policy, developers-reference, maint-guide).
//   manpages        the roff sources of the packages manpages and manpages-dev.
//   python-lib      the .py files of Python 3.11's standard library (libpython3.11-minimal and
//                   libpython3.11-stdlib), test/ left out.
//   python-doc      Python 3.11's documentation as reST (python3.11-doc's html/_sources).
//   corpus          all of the above, in this order.
//   PATH            a file, or a folder of files (all regular files below it, sorted by path), any split.
//
// Every named source but kjv is split by file (split_of_path): each file is wholly in one split,
// chosen by a hash of its name, so the split is the same on every machine with the same
// packages. The files are exactly what the packages ship (their dpkg file lists), read sorted
// by name; symbolic links (aliases of other files), empty files and binary files (a NUL byte)
// are skipped, and .gz files are decompressed (their names lose the .gz).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace ardm::data {

int64_t vocab_classes(const std::string& vocab);  // 27 or 256; throws for an unknown name
std::vector<uint8_t> text_to_classes(const std::string& bytes, const std::string& vocab);
std::string classes_to_text(const uint8_t* classes, size_t n, const std::string& vocab);

// The Bible's books of a split ("train", "valid", "test" or "all"), in canonical order.
std::vector<std::string> kjv_books(const std::string& split);
// Their text, concatenated in canonical order, as `bible` prints it.
std::string kjv_text(const std::string& split);

// One document: a file of a source (or a book of the Bible, or a piece of the dictionary).
struct TextFile {
  std::string name;  // "<source>/<path below the source's root>", e.g. "linux-doc/process/changes.rst",
                     // "kjv/Ruth", "gcide/piece-0042"; a PATH source: the path below the folder
  std::string text;  // its bytes (decompressed when the file was .gz)
};

// The split of a file by its path below its source's root (with '/' separators and no .gz):
// FNV-1a 64 of the path's bytes, its high 32 bits mod 100: 0-89 "train", 90-94 "valid", 95-99 "test".
std::string split_of_path(const std::string& path);
// The text files below a folder that split_of_path puts in a split ("all": every one), named by
// their paths below it, sorted by name; skipped as for the named sources (links, empty, binary).
// The named sources go through the same code with their packages' file lists.
std::vector<TextFile> split_folder(const std::string& folder, const std::string& split);

// The names usable in --data for text, "corpus" last.
const std::vector<std::string>& text_source_names();

// The documents of a source list for a split, in the order of the list and by name within a
// source (documents never share a window). Split "all" is train, valid and test together.
std::vector<TextFile> text_files(const std::string& sources, const std::string& split);
// Their texts alone.
std::vector<std::string> text_documents(const std::string& sources, const std::string& split);

// Windows of seq_len classes: [N, seq_len] uint8. Split "train" takes windows every seq_len/2
// (overlapping), other splits consecutive windows; a document's last partial window is dropped.
// limit > 0 keeps `limit` windows: the first ones (train), else ones spread evenly over all.
torch::Tensor load_text(const std::string& sources, const std::string& split, const std::string& vocab,
                        int64_t seq_len, int64_t limit = 0);


}  // namespace ardm::data
