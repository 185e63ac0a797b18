// Audio as integer class sequences (spec sections 2 and 5): 16-bit mono PCM samples s become
// values s + 32,768 in [0, 65,536); 8-bit samples u (WAV's unsigned bytes) become (u - 128) * 256
// first. Files are read with libsndfile.
//
// Sources (--data):
//   speech     the 568 English recordings of Debian's asterisk-core-sounds-en-wav (16-bit mono
//              8 kHz, /usr/share/asterisk/sounds/en_US_f_Allison), split by file name: the CRC-32
//              of a file's path below that folder, mod 10, is 0 for test, 1 for valid, else train.
//   speech-it  the 599 Italian recordings of asterisk-core-sounds-it-wav (it_IT_m_Carlo), split so.
//   speech-ru  the 576 Russian recordings of asterisk-core-sounds-ru-wav (ru_RU_f_IvrvoiceRU), split so.
//   PATH       a .wav file, or a folder of them (every .wav below it, sorted by path), any split.
//   A,B,...    the files of each source in turn (e.g. speech,speech-it,speech-ru).
//
// Clips: a file of n samples gives windows of L = clip_len samples starting every L/2
// (train) or every L (other splits), plus one ending exactly at its end when the last window
// stops short of it, so every sample is in some window and nothing is padded. A file shorter
// than L gives one window, right-padded with digital silence (value 32,768), as the paper pads
// SC09's one-second clips.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ardm::data {

struct Pcm16 {
  int64_t rate = 8000;
  std::vector<int16_t> samples;  // mono
};

// Reads a mono 8- or 16-bit PCM WAV; throws std::runtime_error naming the file and what it is
// (float, 24-bit, several channels, not a WAV) otherwise.
Pcm16 read_wav(const std::string& path);
// Writes 16-bit mono PCM.
void write_wav(const std::string& path, const std::vector<int16_t>& samples, int64_t rate);

// The folder of a speech source (speech, speech-it, speech-ru; else empty), and a source's files
// of a split ("train", "valid", "test", "all").
std::string speech_folder(const std::string& source = "speech");
std::vector<std::string> audio_files(const std::string& source, const std::string& split);

// Clips of clip_len values (s + 32,768): [N, clip_len] int32. limit > 0 keeps the first N.
torch::Tensor load_audio(const std::string& source, const std::string& split, int64_t clip_len, int64_t limit = 0);


}  // namespace ardm::data
