// Audio data: WAV reading (libsndfile), clips, the speech split, audio model configs, and the
// WAV container parsing of the codec.
#include <gtest/gtest.h>

#include "ardm/kinds/kind.h"
#include <sndfile.h>
#include <torch/torch.h>

#include <filesystem>
#include <set>

#include "ardm/core/config_io.h"
#include "ardm/data/audio.h"
#include "ardm/train/model.h"
#include "ardm/kinds/kind_data.h"
#include "ardm/nets/diffwave/diffwave.h"
#include "ardm/process/process.h"
#include "ardm/kinds/audio/wav.h"
#include "ardm/engine/model_file.h"

namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("ardm_audio_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Writes `frames` frames of `channels` with libsndfile in `format` (a ramp, to tell samples apart).
void write_with(const fs::path& p, int format, int channels, int64_t frames) {
  SF_INFO info{};
  info.samplerate = 8000;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(p.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  std::vector<short> s(static_cast<size_t>(frames * channels));
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<short>(static_cast<int>(i * 97 % 4096) * 16 - 32768);
  sf_write_short(f, s.data(), static_cast<sf_count_t>(s.size()));
  sf_close(f);
}

}  // namespace

TEST(Audio, ReadsMonoPcmAndRefusesWhatItCannotCode) {
  const auto d = temp_dir("read");
  std::vector<int16_t> ramp;
  for (int i = 0; i < 1000; ++i) ramp.push_back(static_cast<int16_t>(i * 61 - 30000));
  ardm::data::write_wav((d / "a.wav").string(), ramp, 16000);
  const auto pcm = ardm::data::read_wav((d / "a.wav").string());
  EXPECT_EQ(pcm.rate, 16000);
  EXPECT_EQ(pcm.samples, ramp);
  // 8-bit WAV holds unsigned bytes u; they read as (u - 128) * 256.
  write_with(d / "u8.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 1, 300);
  for (int16_t s : ardm::data::read_wav((d / "u8.wav").string()).samples) EXPECT_EQ(s % 256, 0);
  write_with(d / "stereo.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 100);
  write_with(d / "float.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 100);
  write_with(d / "24.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 1, 100);
  auto msg = [&](const char* f) {
    try {
      ardm::data::read_wav((d / f).string());
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(msg("stereo.wav").find("2 channels"), std::string::npos) << msg("stereo.wav");
  EXPECT_NE(msg("float.wav").find("floating-point"), std::string::npos) << msg("float.wav");
  EXPECT_NE(msg("24.wav").find("24-bit"), std::string::npos) << msg("24.wav");
  EXPECT_NE(msg("missing.wav").find("missing.wav"), std::string::npos);
  fs::remove_all(d);
}

TEST(Audio, ClipsCoverEverySampleAndPadOnlyShortFiles) {
  const auto d = temp_dir("clips");
  std::vector<int16_t> a(25), b(7);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<int16_t>(100 + i);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<int16_t>(-1 - static_cast<int>(i));
  ardm::data::write_wav((d / "a.wav").string(), a, 8000);
  ardm::data::write_wav((d / "b.wav").string(), b, 8000);
  // Test split: stride L = 10: windows at 0, 10, and one ending at 25 (15..24); b: one padded.
  const auto t = ardm::data::load_audio(d.string(), "test", 10);
  ASSERT_EQ(t.sizes(), (torch::IntArrayRef{4, 10}));
  EXPECT_EQ(t[0][0].item<int32_t>(), 100 + 32768);
  EXPECT_EQ(t[1][0].item<int32_t>(), 110 + 32768);
  EXPECT_EQ(t[2][0].item<int32_t>(), 115 + 32768);
  EXPECT_EQ(t[2][9].item<int32_t>(), 124 + 32768);
  EXPECT_EQ(t[3][0].item<int32_t>(), -1 + 32768);
  EXPECT_EQ(t[3][6].item<int32_t>(), -7 + 32768);
  EXPECT_EQ(t[3][7].item<int32_t>(), 32768);  // padding: digital silence
  // Train split: stride L / 2 = 5: windows at 0, 5, 10, 15 (the last ends exactly at 25), and b.
  EXPECT_EQ(ardm::data::load_audio(d.string(), "train", 10).size(0), 5);
  EXPECT_EQ(ardm::data::load_audio(d.string(), "train", 10, 2).size(0), 2);
  EXPECT_TRUE(ardm::kinds::by_name("audio")->takes_source(d.string()));
  EXPECT_TRUE(ardm::kinds::by_name("audio")->takes_source("speech"));
  EXPECT_FALSE(ardm::kinds::by_name("audio")->takes_source("fashion-mnist"));
  // A model that sees the 4 samples before each item of 6 trains on windows of 10, the item last.
  ardm::kinds::TrainFlags f;
  f.clip_len = 6, f.context = 4;
  ardm::ModelConfig m;
  ardm::ObjectiveConfig o;
  const auto& audio = ardm::kinds::data_of(*ardm::kinds::by_name("audio"));
  EXPECT_EQ(audio.start(d.string(), 0, f, m, o).sizes(), (torch::IntArrayRef{5, 10}));
  EXPECT_EQ(m.data.shape, (std::vector<int64_t>{6}));
  EXPECT_EQ(m.data.context, 4);
  EXPECT_EQ(audio.load(d.string(), "test", m.data, 0).sizes(), (torch::IntArrayRef{4, 10}));
  f.context = -1;
  EXPECT_THROW(audio.start(d.string(), 0, f, m, o), std::invalid_argument);
  fs::remove_all(d);
}

TEST(Audio, SpeechSplitIsByFileAndDisjoint) {
  // Each language's recordings, split by file; a comma-separated list is the files of each in turn.
  const std::vector<std::pair<std::string, size_t>> sources = {{"speech", 568}, {"speech-it", 599}, {"speech-ru", 576}};
  std::vector<std::string> test_of_all;
  bool every_one = true;
  for (const auto& [source, count] : sources) {
    SCOPED_TRACE(source);
    EXPECT_TRUE(ardm::kinds::by_name("audio")->takes_source(source));
    if (!fs::is_directory(ardm::data::speech_folder(source))) {
      EXPECT_THROW(ardm::data::audio_files(source, "test"), std::runtime_error);  // names the package
      every_one = false;
      continue;
    }
    const auto train = ardm::data::audio_files(source, "train"), valid = ardm::data::audio_files(source, "valid"),
               test = ardm::data::audio_files(source, "test"), all = ardm::data::audio_files(source, "all");
    EXPECT_EQ(all.size(), count);
    EXPECT_EQ(train.size() + valid.size() + test.size(), all.size());
    EXPECT_GT(test.size(), 30u);
    EXPECT_GT(valid.size(), 30u);
    std::set<std::string> seen(train.begin(), train.end());
    for (const auto& f : valid) EXPECT_TRUE(seen.insert(f).second) << f;
    for (const auto& f : test) EXPECT_TRUE(seen.insert(f).second) << f;
    EXPECT_EQ(ardm::data::audio_files(source, "test"), test);  // deterministic
    test_of_all.insert(test_of_all.end(), test.begin(), test.end());
  }
  EXPECT_TRUE(ardm::kinds::by_name("audio")->takes_source("speech,speech-it,speech-ru"));
  EXPECT_FALSE(ardm::kinds::by_name("audio")->takes_source("speech,kjv"));
  if (every_one) {
    EXPECT_EQ(ardm::data::audio_files("speech,speech-it,speech-ru", "test"), test_of_all);
  }
}

TEST(Audio, ModelsAreUpscaleDirectDiffWaves) {
  ardm::ModelConfig m;
  m.data = ardm::audio_spec(64);
  EXPECT_EQ(m.data.num_classes, 65536);
  EXPECT_EQ(m.data.absorbing, 32768);
  m.net.type = "diffwave";
  m.net.diffwave.width = 8, m.net.diffwave.layers = 3, m.net.diffwave.cycle = 2;
  EXPECT_THROW(ardm::make_process(m.process, m.data), std::invalid_argument);  // OA: a 65,536-way softmax
  m.process.upscale = 16;
  m.process.parametrization = "matrix";
  EXPECT_THROW(ardm::make_process(m.process, m.data), std::invalid_argument);
  m.process.parametrization = "direct";
  for (int64_t b : {16, 2}) {
    m.process.upscale = b;
    ardm::Model model(m, ardm::ObjectiveConfig{}, ardm::TrainConfig{});
    EXPECT_EQ(model.num_stages(), b == 16 ? 4 : 16);
    auto x = torch::randint(65536, {2, 64}, torch::kInt64);
    auto out = model.net->forward(x, torch::zeros({2, 64}, torch::kBool), torch::tensor({0, 5}),
                                  torch::tensor({int64_t{0}, model.num_stages() - 1}));
    EXPECT_EQ(out.sizes(), (torch::IntArrayRef{2, model.num_stages() * b, 64}));
    EXPECT_EQ(out.abs().max().item<float>(), 0.0f);  // the last layer starts at zero: uniform digits
    // The config round-trips through its text, diffwave keys included.
    ardm::ModelConfig back;
    ardm::from_text(ardm::to_text(m), back);
    EXPECT_EQ(back.net.diffwave.layers, 3);
    EXPECT_EQ(back.data.kind, "audio");
    EXPECT_EQ(ardm::to_text(m).find("diffwave.taps"), std::string::npos);  // older models' text unchanged
  }
  // The linear prediction head needs value outputs: the logistic parametrization has them.
  m.process.upscale = 16;
  m.net.diffwave.taps = 4;
  EXPECT_THROW(ardm::Model(m, ardm::ObjectiveConfig{}, ardm::TrainConfig{}), std::invalid_argument);
  m.process.parametrization = "logistic";
  {
    ardm::Model model(m, ardm::ObjectiveConfig{}, ardm::TrainConfig{});
    auto x = torch::randint(65536, {2, 64}, torch::kInt64);
    auto out = model.net->forward(x, torch::ones({2, 64}, torch::kBool), torch::tensor({0, 5}), torch::tensor({0, 3}));
    EXPECT_EQ(out.sizes(), (torch::IntArrayRef{2, 12, 64}));  // 4 mixture logits, means, log-scales
    ardm::ModelConfig back;
    ardm::from_text(ardm::to_text(m), back);
    EXPECT_EQ(back.net.diffwave.taps, 4);
    EXPECT_EQ(back.process.parametrization, "logistic");
    // From the all-zero outputs a network starts with, the components get different gradients
    // (a symmetric start would keep them one logistic forever).
    auto o = torch::zeros({1, 12, 64}, torch::requires_grad());
    const auto past = model.process->past(x.narrow(0, 0, 1), ardm::stage_tensor(1, 2, torch::kCPU));
    torch::log_softmax(model.process->symbol_logits(o, past, 2), 1).select(1, 3).sum().backward();
    const auto g = o.grad();
    for (int64_t c : {0, 4, 8})  // mixture logits, means, log-scales
      EXPECT_GT((g.select(1, c) - g.select(1, c + 1)).abs().max().item<float>(), 1e-6) << "channel " << c;
  }
  m.net.diffwave.taps = 257;  // beyond the head's reach
  EXPECT_THROW(ardm::Model(m, ardm::ObjectiveConfig{}, ardm::TrainConfig{}), std::invalid_argument);
  // A UNet's context is a margin of pixels above and left of its tile (photos), never negative.
  ardm::ModelConfig img;
  img.data.context = -1;
  EXPECT_THROW(ardm::Model(img, ardm::ObjectiveConfig{}, ardm::TrainConfig{}), std::invalid_argument);
  img.data.context = 8;
  img.net.unet.ch = 8, img.net.unet.ch_mult = {1};
  EXPECT_EQ(ardm::Model(img, ardm::ObjectiveConfig{}, ardm::TrainConfig{}).process->net_io().context, 8);
  EXPECT_EQ(ardm::nets::diffwave_dilation(0, 12), 1);
  EXPECT_EQ(ardm::nets::diffwave_dilation(11, 12), 2048);
  EXPECT_EQ(ardm::nets::diffwave_dilation(12, 12), 1);
}

TEST(Audio, WavLayoutFindsTheSamplesAndRefusesOthers) {
  // RIFF, fmt (16-bit mono), LIST before data, data of 3 samples, a trailing chunk.
  auto le32 = [](std::vector<uint8_t>& v, uint32_t x) { for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i))); };
  auto le16 = [](std::vector<uint8_t>& v, uint16_t x) { v.push_back(static_cast<uint8_t>(x)), v.push_back(static_cast<uint8_t>(x >> 8)); };
  auto wav = [&](uint16_t tag, uint16_t channels, uint16_t bits, uint32_t data_len) {
    std::vector<uint8_t> v = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E', 'f', 'm', 't', ' '};
    le32(v, 16), le16(v, tag), le16(v, channels), le32(v, 8000), le32(v, 8000 * channels * bits / 8);
    le16(v, static_cast<uint16_t>(channels * bits / 8)), le16(v, bits);
    for (char c : std::string("LIST")) v.push_back(static_cast<uint8_t>(c));
    le32(v, 3), v.push_back('a'), v.push_back('b'), v.push_back('c'), v.push_back(0);  // odd: a pad byte
    for (char c : std::string("data")) v.push_back(static_cast<uint8_t>(c));
    le32(v, data_len);
    for (uint32_t i = 0; i < 6; ++i) v.push_back(static_cast<uint8_t>(i * 40));
    return v;
  };
  const auto ok = wav(1, 1, 16, 6);
  const auto w = ardm::kinds::parse_wav(ok.data(), ok.size(), "x.wav");
  EXPECT_EQ(w.bits, 16u);
  EXPECT_EQ(w.frames, 3u);
  EXPECT_EQ(w.data_begin, ok.size() - 6);
  EXPECT_EQ(ardm::kinds::parse_wav(ok.data(), ok.size() - 1, "x.wav").frames, 2u);  // truncated: whole frames only
  EXPECT_EQ(ardm::kinds::parse_wav(wav(1, 1, 16, 0xFFFFFFFFu).data(), ok.size(), "x.wav").frames, 3u);
  EXPECT_EQ(ardm::kinds::parse_wav(wav(1, 1, 8, 6).data(), ok.size(), "x.wav").frames, 6u);
  // Every integer width, floats, several channels: taken (6 bytes are one 24-bit stereo frame).
  EXPECT_EQ(ardm::kinds::parse_wav(wav(1, 1, 24, 6).data(), ok.size(), "x.wav").frames, 2u);
  EXPECT_EQ(ardm::kinds::parse_wav(wav(1, 2, 24, 6).data(), ok.size(), "x.wav").frames, 1u);
  EXPECT_TRUE(ardm::kinds::parse_wav(wav(3, 1, 32, 6).data(), ok.size(), "x.wav").is_float);
  auto error_of = [](const std::vector<uint8_t>& v) {
    try {
      ardm::kinds::parse_wav(v.data(), v.size(), "x.wav");
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of(wav(3, 1, 64, 6)).find("floating-point"), std::string::npos);
  EXPECT_NE(error_of(wav(1, 1, 12, 6)).find("12-bit"), std::string::npos);
  EXPECT_NE(error_of(wav(1, 9, 16, 6)).find("9 channels"), std::string::npos);
  auto lying = ok;
  lying[40] = 0xFF;  // the LIST chunk claims more bytes than the file has
  EXPECT_NE(error_of(lying).find("runs past the end"), std::string::npos);
  EXPECT_NE(error_of(wav(2, 1, 16, 6)).find("compressed"), std::string::npos);
  EXPECT_NE(error_of(std::vector<uint8_t>(ok.begin(), ok.begin() + 30)).find("damaged fmt"), std::string::npos);
  EXPECT_NE(error_of(std::vector<uint8_t>(ok.begin(), ok.begin() + 48)).find("no data chunk"), std::string::npos);
  EXPECT_NE(error_of({'R', 'I', 'F', 'X'}).find("not a WAV"), std::string::npos);
}

TEST(Audio, PlainWavHeadersAreKeptAsTheirRate) {
  const auto& kind = *ardm::kinds::by_name("audio");
  const ardm::engine::EngineModel none;
  auto file_of = [](std::vector<uint8_t> header, size_t data_bytes, const std::string& after) {
    for (size_t i = 0; i < data_bytes; ++i) header.push_back(static_cast<uint8_t>(i * 37));
    header.insert(header.end(), after.begin(), after.end());
    return header;
  };
  // The usual header (16-bit mono at 8 kHz; 8-bit stereo with bytes after the samples): its
  // rate alone is kept, and the file comes back byte for byte.
  const auto plain = file_of(ardm::kinds::plain_wav_header(1, 16, 8000, 10, 0), 10, "");
  ASSERT_EQ(plain.size(), 54u);
  auto c = kind.read(plain, "a.wav", none);
  EXPECT_TRUE(c.description.short_prefix);
  EXPECT_EQ(c.description.prefix, (std::vector<uint8_t>{0xC0, 0x3E}));
  EXPECT_NO_THROW(kind.check_description(c.description));
  EXPECT_EQ(kind.write(c, 0, "a.wav", {}), plain);
  const auto odd = file_of(ardm::kinds::plain_wav_header(2, 8, 44100, 6, 5), 6, "LIST\1");
  c = kind.read(odd, "b.wav", none);
  EXPECT_EQ(c.description.prefix.size(), 3u);
  EXPECT_EQ(c.description.suffix.size(), 5u);
  EXPECT_EQ(kind.write(c, 0, "b.wav", {}), odd);
  // Any other header is kept verbatim: a wrong RIFF size, a float format.
  auto wrong_size = plain;
  wrong_size[4] ^= 1;
  c = kind.read(wrong_size, "c.wav", none);
  EXPECT_FALSE(c.description.short_prefix);
  EXPECT_EQ(c.description.prefix.size(), 44u);
  EXPECT_EQ(kind.write(c, 0, "c.wav", {}), wrong_size);
  auto floats = file_of(ardm::kinds::plain_wav_header(1, 32, 8000, 8, 0), 8, "");
  floats[20] = 3;
  c = kind.read(floats, "d.wav", none);
  EXPECT_FALSE(c.description.short_prefix);
  EXPECT_EQ(c.description.prefix.size(), 44u);
  EXPECT_EQ(kind.write(c, 0, "d.wav", {}), floats);
  // A short prefix that is no rate, or whose header's sizes would not fit, is corruption.
  auto bad = [&](std::vector<uint8_t> prefix, std::vector<uint64_t> shape) {
    ardm::coding::Description d = kind.read(plain, "a.wav", none).description;
    d.prefix = std::move(prefix);
    d.shape = std::move(shape);
    try {
      kind.check_description(d);
    } catch (const ardm::coding::FormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(bad({0xC0, 0x3E}, {5, 1}), "no error");
  EXPECT_NE(bad({0xC0}, {5, 1}).find("truncated"), std::string::npos);
  EXPECT_NE(bad({0xC0, 0x00}, {5, 1}).find("overlong"), std::string::npos);
  EXPECT_NE(bad({0xFF, 0xFF, 0xFF, 0xFF, 0x1F}, {5, 1}).find("corrupted"), std::string::npos);  // 2^33 - 1 Hz
  EXPECT_NE(bad({0xC0, 0x3E}, {uint64_t{1} << 31, 1}).find("too long"), std::string::npos);
  EXPECT_NE(bad({}, {5, 1}).find("truncated"), std::string::npos);
  EXPECT_EQ(ardm::kinds::plain_wav_header(1, 16, 8000, uint64_t{1} << 32, 0).size(), 0u);
}
