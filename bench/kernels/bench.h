// Shared harness: each kernel defines `kernel()` (returning a checksum so the work cannot be
// optimised away); main times it with CLOCK_MONOTONIC and prints the checksum on stdout and
// `ns=<elapsed>` on stderr, so native and WebAssembly builds are timed by the same code and
// process start-up is left out.
#include <stdio.h>
#include <time.h>
static unsigned long long kernel(void);
int main(void) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  unsigned long long sum = kernel();
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%llu\n", sum);
  fprintf(stderr, "ns=%lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec));
  return 0;
}
