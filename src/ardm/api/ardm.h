/* ardm's C API: lossless compression in memory, and an exported model's exact code lengths,
 * step schedules and samples, on the torch-free engine (no LibTorch needed). Other languages
 * bind ardm through this header as they bind libzstd; the Python package (python/) does.
 *
 * Read me first:
 *  - Every function returns an ardm_status. On an error, ardm_last_error() gives a message
 *    naming what was wrong, for the calling thread, until its next call into ardm.
 *  - Memory: what a function hands out through an ardm_buffer is the caller's, freed with
 *    ardm_buffer_free; handles (ardm_model, ardm_data) are freed with their _free function
 *    (NULL is allowed). Pointers a handle lends (ardm_data_file, ardm_data_array) live as long
 *    as the handle. Nothing is ever half written: on an error the outputs are left empty.
 *  - Files are the CLI's: ardm_compress makes the bytes `ardm compress` makes of the same
 *    input with the same options, and ardm_decompress reads whatever `ardm compress` made.
 *  - Threads: any number of threads may call at once (a handle's calls included); a call
 *    uses options.threads cores itself. Models are read once per path and process.
 */
#ifndef ARDM_API_H
#define ARDM_API_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && defined(ARDM_BUILDING_API)
#define ARDM_API __attribute__((visibility("default")))
#else
#define ARDM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ardm_status {
  ARDM_OK = 0,
  ARDM_ERROR_INVALID = 1, /* an argument is wrong: an option, a shape, a budget the model cannot spend */
  ARDM_ERROR_CORRUPT = 2, /* the compressed data is damaged, truncated or no ardm file */
  ARDM_ERROR_MODEL = 3,   /* no model, or not the model the data needs (a file made with another) */
  ARDM_ERROR_INPUT = 4,   /* an input file (PNG, WAV) is malformed, or a model file unreadable */
  ARDM_ERROR_INTERNAL = 5 /* anything else (out of memory, a bug): the message says what */
} ardm_status;

/* The message of the calling thread's last failed call ("" after a success). */
ARDM_API const char* ardm_last_error(void);
/* ardm's version, "MAJOR.MINOR.PATCH". */
ARDM_API const char* ardm_version(void);
/* Where the bundled models are, when not where the build put them (a package's copy of the
 * models/ folder, with its older/ folder); NULL or "": the build's. Call it before any other. */
ARDM_API ardm_status ardm_set_models_dir(const char* dir);
/* The path of a kind's bundled model ("image", "photo", "text", "audio"), valid until the
 * thread's next call; ARDM_ERROR_MODEL when the kind has none or it is missing. */
ARDM_API ardm_status ardm_bundled_model(const char* kind, const char** path);

/* Bytes handed to the caller. */
typedef struct ardm_buffer {
  uint8_t* data;
  size_t size;
} ardm_buffer;
ARDM_API void ardm_buffer_free(ardm_buffer* buffer); /* frees data and zeroes the struct */

/* How to compress or decompress; ardm_options_init sets the defaults (all zero / NULL). */
typedef struct ardm_options {
  const char* kind;   /* compress: "image", "photo", "text", "audio"; NULL: found from the data, as the CLI does */
  const char* model;  /* a .ardmnet file for every kind; NULL: each kind's bundled model */
  const char* method; /* compress: "auto" (NULL), "model", "stored", "chunks" or a kind's codec ("jxl") */
  int level;          /* compress: 1 (fast) .. 9 (small) sets the budget per kind; 0: `budget` */
  int budget;         /* compress: network calls per chunk; 0: the default (20) */
  int threads;        /* cores to use; 0: 1 */
} ardm_options;
ARDM_API void ardm_options_init(ardm_options* options);

/* ---- arrays: images as [height, width, channels], audio as [frames, channels] */
typedef enum ardm_dtype { ARDM_UINT8 = 1, ARDM_UINT16 = 2, ARDM_INT16 = 3 } ardm_dtype;
typedef struct ardm_array {
  ardm_dtype dtype;
  int rank;              /* 1..3 */
  uint64_t shape[3];
  const void* values;    /* row-major, shape's product values of dtype */
  uint32_t sample_rate;  /* audio: samples per second per channel; 0 for images */
} ardm_array;

/* ---- compression */
/* A file's bytes (PNG, WAV, or any bytes: text) -> the .ardm file's bytes. */
ARDM_API ardm_status ardm_compress(const void* data, size_t size, const ardm_options* options, ardm_buffer* out);
/* An array -> the .ardm file's bytes: uint8 or uint16 [H, W] or [H, W, C] (C = 1..4: gray, gray
 * and alpha, RGB, RGBA) is an image (the bytes of the same pixels' PNG file); int16, or uint8
 * with kind "audio", [frames] or [frames, channels] with a sample rate is audio (those of its
 * WAV file). */
ARDM_API ardm_status ardm_compress_array(const ardm_array* array, const ardm_options* options, ardm_buffer* out);

/* ---- decompression: a handle on the decoded data */
typedef struct ardm_data ardm_data;
/* .ardm bytes -> the exact original (only options.model and .threads apply). */
ARDM_API ardm_status ardm_decompress(const void* data, size_t size, const ardm_options* options, ardm_data** out);
ARDM_API void ardm_data_free(ardm_data* data);
/* "image", "text" or "audio". */
ARDM_API const char* ardm_data_kind(const ardm_data* data);
/* Files the data makes: the images of a file of several, else 1. */
ARDM_API size_t ardm_data_count(const ardm_data* data);
/* File i's bytes (a PNG, a WAV, the text), as `ardm decompress` writes them; lent. */
ARDM_API ardm_status ardm_data_file(const ardm_data* data, size_t i, const uint8_t** bytes, size_t* size);
/* Item i as an array (lent): an image's pixels, or a WAV's 8- or 16-bit integer samples.
 * ARDM_ERROR_INVALID for text and for audio of other sample types (use ardm_data_file). */
ARDM_API ardm_status ardm_data_array(const ardm_data* data, size_t i, ardm_array* out);

/* ---- an exported model (.ardmnet) */
typedef struct ardm_model ardm_model;
typedef struct ardm_model_info {
  char kind[16];        /* the kind of data it codes: "image", "photo", "text", "audio" */
  int64_t values;       /* D: values per item (a chunk, an image, a tile) */
  int64_t classes;      /* K: each value is below it */
  int64_t stages;       /* S: an Upscale ARDM's stages (1: OA-ARDM) */
  int64_t context;      /* values before an item the network sees (tiles: the margin); 0: none */
  int rank;             /* the item's shape: [C, H, W] for images, [L] for sequences */
  int64_t shape[4];
  uint32_t fingerprint; /* the model's id (a file records its low 16 bits) */
} ardm_model_info;
ARDM_API ardm_status ardm_model_open(const char* path, int threads, ardm_model** out);
ARDM_API void ardm_model_free(ardm_model* model);
ARDM_API ardm_status ardm_model_get_info(const ardm_model* model, ardm_model_info* out);
/* The exact code length in bits of each of `items` items (values: items * D, each below K, in
 * the model's own layout), at `budget` network calls, with nothing known around them. */
ARDM_API ardm_status ardm_model_code_length(const ardm_model* model, const uint16_t* values, size_t items, int64_t budget,
                                   double* bits);
/* The policy of `budget` calls, as the codec runs it: the first step (rank) of each call,
 * stage after stage, into steps[0 .. *count) (capacity: at least budget), and the DP's
 * predicted cost in bits per value. */
ARDM_API ardm_status ardm_model_schedule(const ardm_model* model, int64_t budget, int64_t* steps, size_t capacity,
                                size_t* count, double* predicted_bits_per_value);
/* `items` samples of D values into out (items * D), generated in `budget` calls from `seed`:
 * the engine decodes random bits, so each is a draw from the model's distribution as the coder
 * quantizes it. The same seed gives the same samples on any machine. */
ARDM_API ardm_status ardm_model_sample(const ardm_model* model, size_t items, int64_t budget, uint64_t seed, uint16_t* out);

#ifdef __cplusplus
}
#endif

#endif /* ARDM_API_H */
