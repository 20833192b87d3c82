/*
 * Writes N bytes (the first argument; default 1 MiB) of a fixed text pattern to stdout, in
 * 64-byte lines "%08u " + 54 letters + "\n", through libc stdio. The test compares length and
 * SHA-256; with an output limit (enarx run --max-output) the run must stop with an error instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
  unsigned long total = argc > 1 ? strtoul(argv[1], NULL, 10) : 1048576ul;
  static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01";
  char line[65];
  unsigned long written = 0;
  for (unsigned line_no = 0; written < total; line_no++) {
    snprintf(line, sizeof line, "%08u ", line_no % 100000000u);
    for (int i = 0; i < 54; i++) line[9 + i] = letters[(line_no + (unsigned)i) % 54];
    line[63] = '\n';
    size_t n = total - written < 64 ? (size_t)(total - written) : 64;
    if (fwrite(line, 1, n, stdout) != n) return 1;
    written += n;
  }
  return fflush(stdout) == 0 ? 0 : 1;
}
