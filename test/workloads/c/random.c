/*
 * random_get: zero length, one byte, a buffer the size of a page and one of 1 MiB; the bytes
 * must look random (not all equal, two draws differ) and nothing outside the buffer is written.
 */
#define PROGRAM "random"
#include "check.h"

static uint8_t big[1 << 20], big2[1 << 20];

static int all_same(const uint8_t *p, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (p[i] != p[0]) return 0;
  return 1;
}

int main(void) {
  uint8_t guard[3] = {0x5A, 0x5A, 0x5A};
  OK(__wasi_random_get(guard + 1, 0));
  CHECK(guard[0] == 0x5A && guard[1] == 0x5A && guard[2] == 0x5A);

  /* One byte at a time: 200 draws cannot all be equal in any sane generator. */
  uint8_t seen[256] = {0};
  int distinct = 0;
  for (int i = 0; i < 200; i++) {
    uint8_t b[3] = {0xA5, 0, 0xA5};
    OK(__wasi_random_get(b + 1, 1));
    CHECK(b[0] == 0xA5 && b[2] == 0xA5);
    if (!seen[b[1]]++) distinct++;
  }
  CHECK(distinct > 50);

  static uint8_t page[65536 + 2];
  page[0] = page[65537] = 0x77;
  OK(__wasi_random_get(page + 1, 65536));
  CHECK(page[0] == 0x77 && page[65537] == 0x77);
  CHECK(!all_same(page + 1, 65536));

  OK(__wasi_random_get(big, sizeof big));
  OK(__wasi_random_get(big2, sizeof big2));
  CHECK(!all_same(big, sizeof big));
  CHECK(memcmp(big, big2, sizeof big) != 0);
  /* Byte frequencies of 1 MiB of uniform bytes stay far within [2048, 6144] (mean 4096). */
  static uint32_t freq[256];
  for (size_t i = 0; i < sizeof big; i++) freq[big[i]]++;
  int skewed = 0;
  for (int i = 0; i < 256; i++)
    if (freq[i] < 2048 || freq[i] > 6144) skewed++;
  CHECK(skewed == 0);
  return finish();
}
