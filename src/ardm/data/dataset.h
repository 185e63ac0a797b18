// Data sets as integer class tensors. Images: uint8 [N, C, H, W] in memory (a quarter of the
// int64 size); batches are widened to int64 classes in [0, 256) by the trainer.
#pragma once

#include <torch/torch.h>

#include <string>

namespace ardm::data {

// Where Debian's `dataset-fashion-mnist` puts its files; ARDM_FASHION_MNIST_DIR overrides it.
std::string fashion_mnist_dir();

// Fashion-MNIST images of one split ("train": 60,000, "test": 10,000) as uint8 [N, 1, 28, 28].
torch::Tensor load_fashion_mnist(const std::string& split);

// Every *.png in `folder` (sorted by name) as uint8 [N, C, H, W]. All must be 8-bit and share
// the first image's channels and size; a file that does not is an error naming it.
torch::Tensor load_png_folder(const std::string& folder);

// `source` is "fashion-mnist" (split "train" or "test") or a folder of PNG files (split
// ignored: the folder is the data). `limit` > 0 keeps only the first `limit` images.
torch::Tensor load_images(const std::string& source, const std::string& split, int64_t limit = 0);

}  // namespace ardm::data
