// Text data: the vocabularies, the Bible's split by books, windows, and text model configs.
#include <gtest/gtest.h>

#include "ardm/kinds/kind.h"
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "ardm/core/config_io.h"
#include "ardm/data/text.h"
#include "ardm/train/model.h"
#include "ardm/process/process.h"

namespace fs = std::filesystem;

TEST(Text, Text8VocabularyIsLettersAndSingleSpaces) {
  const auto c = ardm::data::text_to_classes("In the Beginning, GOD -- 42 x!", "text8");
  EXPECT_EQ(ardm::data::classes_to_text(c.data(), c.size(), "text8"), "in the beginning god x ");
  for (auto v : c) EXPECT_LT(v, 27);
  EXPECT_EQ(ardm::data::vocab_classes("text8"), 27);
  EXPECT_EQ(ardm::data::vocab_classes("bytes"), 256);
  EXPECT_THROW(ardm::data::vocab_classes("utf8"), std::invalid_argument);
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const auto b = ardm::data::text_to_classes(all, "bytes");
  EXPECT_EQ(ardm::data::classes_to_text(b.data(), b.size(), "bytes"), all);
}

TEST(Text, BibleSplitsByWholeBooks) {
  const auto train = ardm::data::kjv_books("train"), valid = ardm::data::kjv_books("valid"),
             test = ardm::data::kjv_books("test");
  EXPECT_EQ(train.size(), 59u);
  EXPECT_EQ(valid, (std::vector<std::string>{"Joel", "Titus", "Jude"}));
  EXPECT_EQ(test, (std::vector<std::string>{"Ruth", "Jonah", "Philippians", "James"}));
  std::set<std::string> seen(train.begin(), train.end());
  for (const auto& b : valid) EXPECT_TRUE(seen.insert(b).second) << b;
  for (const auto& b : test) EXPECT_TRUE(seen.insert(b).second) << b;
  EXPECT_EQ(seen.size(), 66u);
  // The texts partition the whole Bible, each book starting at its heading.
  const auto t = ardm::data::kjv_text("test");
  EXPECT_EQ(t.rfind("\nRuth 1\n", 0), 0u);
  EXPECT_NE(t.find("\nJames 5\n"), std::string::npos);
  EXPECT_EQ(t.find("\nGenesis 1\n"), std::string::npos);
  EXPECT_EQ(ardm::data::kjv_text("train").size() + ardm::data::kjv_text("valid").size() + t.size(),
            ardm::data::kjv_text("all").size());
  EXPECT_EQ(t.size(), 45090u);  // the four books as `bible` prints them
}

TEST(Text, WindowsOfFilesAndFolders) {
  const auto dir = fs::temp_directory_path() / "ardm_text_test";
  fs::remove_all(dir);
  fs::create_directories(dir / "sub");
  std::ofstream(dir / "a.txt") << std::string(100, 'a');
  std::ofstream(dir / "sub" / "b.txt") << std::string(30, 'b');
  // Other splits: consecutive windows; a document's partial window is dropped.
  auto x = ardm::data::load_text(dir.string(), "test", "bytes", 25);
  ASSERT_EQ(x.sizes(), (torch::IntArrayRef{5, 25}));
  EXPECT_EQ(x[4][0].item<int>(), 'b');
  // Training: windows every L/2.
  x = ardm::data::load_text((dir / "a.txt").string(), "train", "bytes", 20);
  EXPECT_EQ(x.size(0), 9);
  EXPECT_EQ(ardm::data::load_text(dir.string(), "train", "bytes", 20, 3).size(0), 3);
  EXPECT_THROW(ardm::data::load_text((dir / "sub").string(), "train", "bytes", 31), std::runtime_error);
  EXPECT_THROW(ardm::data::load_text((dir / "missing").string(), "train", "bytes", 10), std::runtime_error);
  EXPECT_FALSE(ardm::kinds::by_name("image")->takes_source(dir.string()));
  EXPECT_TRUE(ardm::kinds::by_name("image")->takes_source("fashion-mnist"));
  fs::remove_all(dir);
}

TEST(Text, ModelConfigRoundTripsAndImageConfigsKeepTheirText) {
  ardm::ModelConfig m;
  m.data = ardm::text_spec("text8", 250);
  m.net.type = "transformer";
  m.net.transformer.width = 64;
  ardm::ModelConfig back;
  ardm::from_text(ardm::to_text(m), back);
  EXPECT_EQ(back.data.kind, "text8");
  EXPECT_EQ(back.data.absorbing, 27);
  EXPECT_EQ(back.net.transformer.width, 64);
  EXPECT_EQ(back.data.shape, std::vector<int64_t>{250});
  // An image model's text names neither the kind nor the transformer: model ids made from it
  // before text models existed stay the same.
  const auto img = ardm::to_text(ardm::ModelConfig{});
  EXPECT_EQ(img.find("data.kind"), std::string::npos);
  EXPECT_EQ(img.find("transformer."), std::string::npos);
  // A text model's input has the absorbing class; its outputs only the K real ones.
  torch::manual_seed(0);
  ardm::Model model(back, ardm::ObjectiveConfig{}, ardm::TrainConfig{});
  const auto io = model.process->net_io();
  EXPECT_EQ(io.input_classes, 28);
  EXPECT_EQ(io.outputs_per_value, 27);
  auto x = torch::full({2, 250}, 27, torch::kInt64);
  auto out = model.net->forward(x, torch::zeros({2, 250}, torch::kBool), torch::zeros({2}, torch::kInt64),
                                torch::zeros({2}, torch::kInt64));
  EXPECT_EQ(out.sizes(), (torch::IntArrayRef{2, 27, 250}));
}

TEST(Text, Text8UpscaleStagesComposeToTheCharacterDistribution) {
  const ardm::DataSpec spec = ardm::text_spec("text8", 4);
  ardm::ProcessConfig pc;
  pc.upscale = 2;
  pc.parametrization = "text8";
  const auto process = ardm::make_process(pc, spec);
  ASSERT_EQ(process->num_stages(), 2);
  EXPECT_EQ(process->net_io().input_classes, 31);
  EXPECT_EQ(process->net_io().outputs_per_value, 27);
  auto x = torch::arange(27, torch::kInt64).view({27, 1});  // every character, one per example
  auto s0 = torch::zeros({27}, torch::kInt64), s1 = torch::ones({27}, torch::kInt64);
  auto p0 = process->past(x, s0), f0 = process->future(x, s0);
  auto p1 = process->past(x, s1), f1 = process->future(x, s1);
  EXPECT_TRUE(p0.eq(30).all().item<bool>());
  EXPECT_TRUE(f0.equal(p1));  // stage 1 starts where stage 0 ends
  EXPECT_TRUE(f1.equal(x));
  EXPECT_TRUE(process->value(p0, process->symbol(p0, f0, s0), s0).equal(f0));
  EXPECT_TRUE(process->value(p1, process->symbol(p1, f1, s1), s1).equal(f1));
  // Vowels a, e, i, o, u (1, 5, 9, 15, 21) share a group; space has its own.
  std::set<int64_t> vowel_groups, consonant_groups;
  for (int64_t c = 1; c <= 26; ++c)
    (c == 1 || c == 5 || c == 9 || c == 15 || c == 21 ? vowel_groups : consonant_groups).insert(f0[c][0].item<int64_t>());
  EXPECT_EQ(vowel_groups.size(), 1u);
  EXPECT_EQ(consonant_groups.size(), 1u);
  EXPECT_NE(*vowel_groups.begin(), *consonant_groups.begin());
  EXPECT_NE(f0[0][0].item<int64_t>(), *vowel_groups.begin());
  // p(group) p(character | group) is the network's distribution over characters, exactly.
  auto g = torch::Generator(at::detail::createCPUGenerator(3));
  auto out = torch::randn({27, 27, 1}, g) * 3;  // the same logits for every example
  out = out[0].unsqueeze(0).expand({27, 27, 1}).contiguous();
  auto lp0 = torch::log_softmax(process->symbol_logits(out, p0, 0), 1).gather(1, process->symbol(p0, f0, s0).unsqueeze(1));
  auto lp1 = torch::log_softmax(process->symbol_logits(out, p1, 1), 1).gather(1, process->symbol(p1, f1, s1).unsqueeze(1));
  auto want = torch::log_softmax(out[0], 0).view({27});
  auto got = (lp0 + lp1).view({27});
  EXPECT_TRUE(torch::allclose(got, want, 1e-5, 1e-5)) << got << want;
  EXPECT_NEAR(got.exp().sum().item<double>(), 1.0, 1e-5);
}
