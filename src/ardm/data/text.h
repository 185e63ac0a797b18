// Text corpora as integer class sequences (spec sections 1 and 5: text8 and bytes).
//
// Vocabularies: "bytes" keeps every byte (256 classes, any file at all); "text8" is the
// paper's: lowercase a-z and space (27 classes; space = 0, a..z = 1..26), made as text8 was
// made: letters lowercased, every run of other bytes one space.
//
// Sources (comma-separated in --data, e.g. "kjv,gcide"):
//   kjv    the King James Bible as Debian's `bible` prints it, split by whole books:
//          valid = Joel, Titus, Jude; test = Ruth, Jonah, Philippians, James; train = the other 59.
//   gcide  the GCIDE dictionary (Debian's dict-gcide), training only: windows spread evenly over
//          it, about as many characters as the Bible's training books.
//   PATH   a file, or a folder of files (all regular files below it, sorted by path), any split.
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

// The documents of a source list for a split (documents never share a window).
std::vector<std::string> text_documents(const std::string& sources, const std::string& split);

// Windows of seq_len classes: [N, seq_len] uint8. Split "train" takes windows every seq_len/2
// (overlapping), other splits consecutive windows; a document's last partial window is dropped.
// limit > 0 keeps the first `limit` windows.
torch::Tensor load_text(const std::string& sources, const std::string& split, const std::string& vocab,
                        int64_t seq_len, int64_t limit = 0);


}  // namespace ardm::data
