// The gzip-like front end of the codec, shared by `ardm compress`/`decompress` and the
// torch-free `ardm-decode`: where each input's output goes (X -> X.ardm and back, -o FILE or
// FOLDER, -c), which model codes it (per kind: --model, else the kind's environment variable,
// else its bundled model), and the jobs run through the stream codec (codec/stream.h) with one
// progress bar. Outputs appear whole or not at all (temporary files and folders renamed at the
// end); an input is removed only after its output is complete; one bad input is reported on
// stderr and the rest are still done (exit status 1).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ardm/codec/stream.h"
#include "ardm/engine/model_file.h"

namespace ardm::codec {

using ModelLoader = std::function<std::shared_ptr<const engine::EngineModel>(const std::string& path)>;

struct FileOptions {
  std::string program = "ardm";  // prefix of error lines
  std::string model;             // --model: used for every kind; empty: each kind's own
  ModelLoader load;              // ardm: .ardmnet or a checkpoint; ardm-decode: .ardmnet
  std::string output;            // -o: a file, or with several inputs the folder to write into
  bool to_stdout = false, force = false, keep = false, verbose = false, quiet = false;
  int threads = 1;
  size_t batch = 16;                // chunks per network call (the bits do not depend on it)
  int64_t budget = kDefaultBudget;  // compress: network calls per chunk
  int level = 0;                    // compress: 1..9 sets each kind's budget (Kind::level_budget); 0: `budget`
  std::string method = "auto";      // compress: auto, model, stored or the kind's own
  kinds::WriteOptions write;        // decompress
  // Decompress: decodes a file that the engine's model cannot (formats 1 and 2, and version-3
  // files made by LibTorch's codec; legacy/), or throws. `error` is the engine's refusal.
  std::function<kinds::Content(const std::vector<uint8_t>& file, const coding::FormatError& error)> fallback;
};

// The budget a kind's files are compressed with: the level's (kept within what the model can
// spend), else FileOptions::budget.
int64_t budget_for(const FileOptions& o, const kinds::Kind& kind, const engine::EngineCodec& codec);

// The path a model of `kind` is read from; throws when there is none.
std::string model_path(const kinds::Kind& kind, const std::string& flag);

// The models of the kinds met so far, each loaded once, when a file first needs it.
class Models {
 public:
  Models(const FileOptions& o, bool compress) : o_(o), compress_(compress) {}
  // Checks that the model codes the kind (and, compressing, that it can spend the budget).
  const engine::EngineCodec& get(const kinds::Kind& kind);
  // The model that decodes a file of `kind` made with model `model_id` (its fingerprint's low 16
  // bits): get(kind), or, when no model was chosen (--model, the kind's variable) and that one's
  // id differs, the older bundled model with the file's id (Kind::older_models), if any. Binding
  // the file to the answer still checks the id.
  const engine::EngineCodec& for_file(const kinds::Kind& kind, uint16_t model_id);

 private:
  const FileOptions& o_;
  bool compress_;
  std::vector<std::pair<std::string, std::unique_ptr<engine::EngineCodec>>> loaded_;  // kind name -> codec
  std::vector<std::pair<std::string, std::unique_ptr<engine::EngineCodec>>> older_;   // path -> codec
};

// One output file and what goes into it.
struct Job {
  std::string label;   // for messages: the input path, "stdin", or a data set item
  std::vector<std::string> inputs;  // read (compress: several only with -c and a kind that merges)
  std::string remove;  // the input to delete after success ("": none)
  std::string output;  // a path, "-" for stdout, or "" to keep the result in memory (the library
                       // API): compress leaves the file's bytes in `file`, decompress the content
  const kinds::Kind* kind = nullptr;
  kinds::Content content;  // compress: what is coded; decompress: what was decoded
  std::vector<uint8_t> file;  // decompress: the .ardm bytes
  Opened opened;              // ... parsed (views into `file`)
  const engine::EngineCodec* codec = nullptr;  // ... the model it is bound to (null: needs none)
  bool from_fallback = false; // ... decoded by FileOptions::fallback
  std::string error;
  // results
  size_t bytes_in = 0, bytes_out = 0;
  coding::Method method = coding::Method::kModel;
  std::vector<uint8_t> codes;  // the part code of the file, or of each chunk (coding::kPartModel ...)
  std::string method_text;
  int64_t budget = 0;          // compress: the budget its kind's model was given
  double model_bits = 0;
  size_t chunks = 0;
  bool done = false;
};

// Where each input goes (compress: X -> X.ardm); an input whose output cannot be written gets
// its error now.
std::vector<Job> plan_compress(const std::vector<std::string>& inputs, const FileOptions& o);
// Reads the jobs' inputs (unless their content is already there), codes them and writes the
// outputs; errors stay in the jobs. Returns after every job is done or failed.
void run_compress(std::vector<Job>& jobs, const FileOptions& o, Models& models);
// A job's `file` parsed (version 3 and later) and bound to its kind's model, or decoded by the
// fallback (then from_fallback). Throws coding::FormatError for a damaged file or the wrong
// model (its message then starts with "wrong model"), std::runtime_error when there is no model.
void open_job(Job& job, const FileOptions& o, Models& models);
// X.ardm -> X: each job's file read, opened and bound to its model (or decoded by the
// fallback); folder_files[j]: the files of job j's output folder (empty: one output file).
std::vector<Job> plan_decompress(const std::vector<std::string>& inputs, const FileOptions& o, Models& models,
                                 std::vector<std::vector<std::string>>& folder_files);
// Decodes and writes them (each with the model plan_decompress bound it to, so that Models must
// outlive them): the exact original or an error and no output.
void run_decompress(std::vector<Job>& jobs, const std::vector<std::vector<std::string>>& folder_files,
                    const FileOptions& o);

// The whole commands: returns the exit status (0, or 1 after any error, each on stderr).
int compress_files(const std::vector<std::string>& inputs, const FileOptions& o);
int decompress_files(const std::vector<std::string>& inputs, const FileOptions& o);

// Standard input, read once (the first caller reads it; later ones get the same bytes).
const std::vector<uint8_t>& stdin_bytes();
// A finished output: "-" to stdout (one writer at a time), else atomically to the path.
void write_output(const std::string& path, const std::vector<uint8_t>& bytes);
// Writes a folder of files as a whole: into a fresh temporary folder beside it, renamed into
// place at the end (into an existing folder, -f, the finished files are moved one by one).
void write_folder(const std::string& dir, const std::vector<std::string>& names,
                  const std::function<std::vector<uint8_t>(size_t)>& bytes_of);
// One line on stderr for a failed job; messages that already name the input are not prefixed.
void report_error(const FileOptions& o, const Job& job);
bool ends_with(const std::string& s, const std::string& end);

}  // namespace ardm::codec
