// metrics.jsonl: every row is valid JSON (NaN included), and a resume keeps exactly the rows
// up to the checkpoint's step.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "ardm/train/train.h"
#include "error_of.h"

namespace fs = std::filesystem;

namespace {

ardm::MetricsRow row_at(int64_t step) {
  ardm::MetricsRow r;
  r.step = step, r.loss = 0.5 * static_cast<double>(step), r.nelbo_bpd = 1.25, r.ce_bpd = 1.5, r.grad_norm = 0.75;
  r.lr = 1e-3, r.images_per_s = 123.5, r.tracker_sum_bpd = 2.0;
  return r;
}

std::string temp_file(const std::string& name) {
  return (fs::temp_directory_path() / ("ardm-metrics-" + std::to_string(::getpid()) + "-" + name)).string();
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}


}  // namespace

TEST(Metrics, NonFiniteValuesAreNullInValidJson) {
  auto r = row_at(1500);
  r.loss = std::numeric_limits<double>::quiet_NaN();
  r.grad_norm = std::numeric_limits<double>::infinity();
  const std::string line = ardm::metrics_row_json(r);
  // Compact, one line: bench/upscale_compare.sh greps these out of the file.
  EXPECT_EQ(line.find_first_of(" \n"), std::string::npos) << line;
  EXPECT_NE(line.find("\"step\":1500,"), std::string::npos) << line;
  EXPECT_NE(line.find("\"images_per_s\":123.5"), std::string::npos) << line;

  const auto j = nlohmann::ordered_json::parse(line);  // throws if the row is not JSON
  std::vector<std::string> keys;
  for (const auto& kv : j.items()) keys.push_back(kv.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"step", "loss", "nelbo_bpd", "ce_bpd", "grad_norm", "lr", "images_per_s",
                                             "tracker_sum_bpd"}));
  EXPECT_TRUE(j["loss"].is_null());
  EXPECT_TRUE(j["grad_norm"].is_null());
  EXPECT_EQ(j["step"].get<int64_t>(), 1500);
  EXPECT_EQ(j["nelbo_bpd"].get<double>(), 1.25);
  EXPECT_EQ(j["lr"].get<double>(), 1e-3);  // written exactly enough to read back the same double
}

TEST(Metrics, ResumeKeepsTheRowsUpToTheCheckpointStep) {
  const std::string path = temp_file("resume.jsonl");
  std::vector<std::string> rows;
  for (int64_t s = 1; s <= 5; ++s) rows.push_back(ardm::metrics_row_json(row_at(s)));
  auto nan_row = row_at(2);
  nan_row.loss = std::numeric_limits<double>::quiet_NaN();
  rows[1] = ardm::metrics_row_json(nan_row);
  {
    std::ofstream out(path);
    for (const auto& r : rows) out << r << "\n";
    out << R"({"step":6,"loss":0.1)";  // the killed run's cut-short last row
  }
  ardm::truncate_metrics(path, 3);
  EXPECT_EQ(lines_of(path), std::vector<std::string>(rows.begin(), rows.begin() + 3));
  ardm::truncate_metrics(path, 10);  // nothing past the step: unchanged
  EXPECT_EQ(lines_of(path), std::vector<std::string>(rows.begin(), rows.begin() + 3));
  fs::remove(path);
  EXPECT_NO_THROW(ardm::truncate_metrics(path, 3));  // a run that never logged
  EXPECT_FALSE(fs::exists(path));
}

TEST(Metrics, MalformedRowIsAnErrorNamingFileAndLine) {
  const std::string path = temp_file("bad.jsonl");
  std::ofstream(path) << ardm::metrics_row_json(row_at(1)) << "\n"
                      << "{\"step\":2,\"loss\":nan}\n"  // what printf wrote for a NaN
                      << ardm::metrics_row_json(row_at(3)) << "\n";
  std::string err = error_of([&] { ardm::truncate_metrics(path, 3); });
  EXPECT_NE(err.find(path + ":2: not a JSON metrics row"), std::string::npos) << err;

  std::ofstream(path) << "{\"loss\":1}\n" << ardm::metrics_row_json(row_at(2)) << "\n";
  err = error_of([&] { ardm::truncate_metrics(path, 3); });
  EXPECT_NE(err.find(path + ":1: metrics row without an integer \"step\""), std::string::npos) << err;
  fs::remove(path);
}

TEST(Metrics, LearningRateWarmsUpThenDecaysToATenth) {
  ardm::TrainConfig c;
  c.lr = 1e-3, c.warmup = 10, c.steps = 100, c.lr_decay = 0;
  EXPECT_DOUBLE_EQ(ardm::learning_rate(c, 0), 1e-4);
  EXPECT_DOUBLE_EQ(ardm::learning_rate(c, 9), 1e-3);
  EXPECT_DOUBLE_EQ(ardm::learning_rate(c, 99), 1e-3);
  c.lr_decay = 40;  // steps 60..99 fall from lr towards lr / 10
  EXPECT_DOUBLE_EQ(ardm::learning_rate(c, 59), 1e-3);
  EXPECT_DOUBLE_EQ(ardm::learning_rate(c, 60), 1e-3);
  EXPECT_NEAR(ardm::learning_rate(c, 80), 1e-3 * (1 - 0.9 * 0.5), 1e-15);
  EXPECT_NEAR(ardm::learning_rate(c, 100), 1e-4, 1e-15);
  EXPECT_NEAR(ardm::learning_rate(c, 500), 1e-4, 1e-15);  // past the end: a tenth
}
