// Strings and an open-addressing hash map: hashing, memcmp, branches, malloc.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
#define CAP (1 << 20)
typedef struct { char *key; unsigned len; unsigned count; } slot;
static slot table[CAP];
static unsigned fnv(const char *s, unsigned n) { unsigned h = 2166136261u; for (unsigned i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 16777619u; } return h; }
static unsigned long long kernel(void) {
  char buf[32];
  unsigned long long seed = 42;
  unsigned distinct = 0, maxc = 0;
  for (int i = 0; i < 3000000; i++) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    unsigned v = (unsigned)(seed >> 33) % 400000;
    int n = snprintf(buf, sizeof buf, "key-%u-%u", v, v % 97);
    unsigned h = fnv(buf, n) & (CAP - 1);
    for (;;) {
      slot *s = &table[h];
      if (!s->key) { s->key = malloc(n); memcpy(s->key, buf, n); s->len = n; s->count = 1; distinct++; break; }
      if (s->len == (unsigned)n && memcmp(s->key, buf, n) == 0) { if (++s->count > maxc) maxc = s->count; break; }
      h = (h + 1) & (CAP - 1);
    }
  }
  return (unsigned long long)distinct << 32 | maxc;
}
