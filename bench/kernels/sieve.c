// Sieve of Eratosthenes over 50M: integer work and byte stores.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"
static unsigned long long kernel(void) {
  const int n = 50000000;
  unsigned char *p = malloc(n + 1);
  int count = 0;
  for (int rep = 0; rep < 3; rep++) {
    memset(p, 1, n + 1);
    p[0] = p[1] = 0;
    for (long i = 2; i * i <= n; i++)
      if (p[i]) for (long j = i * i; j <= n; j += i) p[j] = 0;
    count = 0;
    for (int i = 0; i <= n; i++) count += p[i];
  }
  free(p);
  return count;
}
