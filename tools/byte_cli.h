// Compressing and decompressing WAV files with an audio model, and files of any other bytes
// (text, binary) with a byte-level text model: shared by `ardm compress`/`decompress` and the
// torch-free `ardm-decode`. PNG inputs go to the image codec; everything else comes here.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ardm/engine/model_file.h"

namespace ardm::cli {

struct ByteOptions {
  std::string program = "ardm";  // prefix of error lines
  std::string model;  // --model; empty: $ARDM_TEXT_MODEL / $ARDM_AUDIO_MODEL, else the bundled text / audio model
  // Loads a model file (ardm: .ardmnet or a checkpoint; ardm-decode: .ardmnet).
  std::function<std::shared_ptr<const engine::EngineModel>(const std::string&)> load;
  std::string output;  // -o: a file, or with several inputs the folder to write into
  bool to_stdout = false, force = false, keep = false, verbose = false, quiet = false;
  int threads = 1;
  size_t batch = 16;       // chunks per network call
  int64_t budget = 20;     // compress: network calls per chunk
  std::string method = "auto";  // compress: auto, model or stored
};

bool ends_with(const std::string& s, const std::string& end);
// Writes a finished output: "-" to stdout (one writer at a time), else atomically to the path.
void write_output(const std::string& path, const std::vector<uint8_t>& bytes);

// Standard input, read once (the first caller reads it; later ones get the same bytes).
const std::vector<uint8_t>& stdin_bytes();
// An image for the image codec: named *.png, or its first bytes ("-": stdin) are a PNG signature.
bool is_png_input(const std::string& input);
// A WAV file for the audio model: named *.wav, or its first bytes are RIFF ... WAVE.
bool is_wav_input(const std::string& input);
// The path ("-": stdin) is an ardm file of a byte stream or of audio (unreadable or other files: false).
bool is_byte_stream_input(const std::string& input);

// X -> X.ardm; returns the exit status (0, or 1 after any error, each on stderr).
int compress_byte_files(const std::vector<std::string>& inputs, const ByteOptions& o);
// X.ardm -> X, the exact original bytes or an error and no output.
int decompress_byte_files(const std::vector<std::string>& inputs, const ByteOptions& o);

}  // namespace ardm::cli
