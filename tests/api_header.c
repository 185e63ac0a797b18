/* ardm.h is C: this file compiles as C99 against it and links libardm.so alone. */
#include "ardm/api/ardm.h"

#include <stdio.h>
#include <string.h>

int main(void) {
  static const char text[] = "a few bytes of text, compressed and decompressed from C";
  ardm_options o;
  ardm_buffer packed = {NULL, 0};
  ardm_data* data = NULL;
  const uint8_t* bytes = NULL;
  size_t size = 0;
  ardm_options_init(&o);
  o.kind = "text";
  if (ardm_compress(text, sizeof text, &o, &packed) != ARDM_OK) {
    fprintf(stderr, "compress: %s\n", ardm_last_error());
    return 1;
  }
  if (ardm_decompress(packed.data, packed.size, NULL, &data) != ARDM_OK ||
      ardm_data_file(data, 0, &bytes, &size) != ARDM_OK) {
    fprintf(stderr, "decompress: %s\n", ardm_last_error());
    return 1;
  }
  if (size != sizeof text || memcmp(bytes, text, size) != 0 || strcmp(ardm_data_kind(data), "text") != 0) {
    fprintf(stderr, "decompressed other bytes\n");
    return 1;
  }
  printf("ardm %s: %zu bytes -> %zu -> %zu\n", ardm_version(), sizeof text, packed.size, size);
  ardm_data_free(data);
  ardm_buffer_free(&packed);
  return 0;
}
