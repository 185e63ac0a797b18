// Photographs as the photo model's training windows (docs/photos.md): the PNG files that
// scripts/make_photos.py writes from Debian's wallpaper photographs (downscaled with an area
// filter, so no JPEG artefact is left), cut into square windows at random places.
#pragma once

#include <torch/torch.h>

#include <string>

namespace ardm::data {

// Where scripts/make_photos.py put the photographs: ARDM_PHOTOS_DIR, else runs/photos.
std::string photos_dir();

// `count` windows of size x size pixels from the PNG files of photos_dir()/<split>/ (gray or
// RGB), as uint8 [count, 3, size, size]: each from a photo drawn in proportion to the windows
// it holds, at a uniform place, mirrored left to right half of the time (with `all_turns`:
// turned by one of the square's eight symmetries, each as often, its rows and columns mirrored
// and swapped), and made gray (the same luma, ITU-R BT.601 weights, in all three channels)
// kGrayShare of the time. The window is cut from the photo so turned, so its top rows and left
// columns are still pixels of the photo. The same windows for the same seed. Throws naming the
// folder when it holds no photo that large.
torch::Tensor load_photo_windows(const std::string& split, int64_t size, int64_t count, uint64_t seed,
                                 bool all_turns = false);
constexpr double kGrayShare = 1.0 / 3.0;

// One RGB pixel's gray value, as the windows and the benchmarks make gray photos.
inline uint8_t luma(uint8_t r, uint8_t g, uint8_t b) {
  return static_cast<uint8_t>((299 * r + 587 * g + 114 * b + 500) / 1000);
}

}  // namespace ardm::data
