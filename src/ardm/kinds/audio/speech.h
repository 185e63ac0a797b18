// The speech sources audio models train on: Debian's Asterisk prompts, one voice per language
// (16-bit mono 8 kHz). One table for the kind (which names it takes, torch-free) and the
// LibTorch loader (data/audio.*, which reads the folders).
#pragma once

#include <string>

namespace ardm::kinds {

struct SpeechSource {
  const char* name;     // --data NAME
  const char* folder;   // where the package puts the voice's WAV files
  const char* package;  // the Debian package (scripts/setup.sh --train installs it)
};

inline constexpr SpeechSource kSpeechSources[] = {
    {"speech", "/usr/share/asterisk/sounds/en_US_f_Allison", "asterisk-core-sounds-en-wav"},
    {"speech-it", "/usr/share/asterisk/sounds/it_IT_m_Carlo", "asterisk-core-sounds-it-wav"},
    {"speech-ru", "/usr/share/asterisk/sounds/ru_RU_f_IvrvoiceRU", "asterisk-core-sounds-ru-wav"},
};

// The source called `name`, or nullptr.
inline const SpeechSource* speech_source(const std::string& name) {
  for (const auto& s : kSpeechSources)
    if (name == s.name) return &s;
  return nullptr;
}

}  // namespace ardm::kinds
