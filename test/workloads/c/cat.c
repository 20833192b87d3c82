/*
 * cat(1): copies stdin (no arguments, or "-") or the named files to stdout with plain libc
 * stdio; a file that cannot be opened is reported on stderr as "cat: NAME: strerror" and makes
 * the exit status 1, like POSIX cat.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int copy(FILE *in, const char *name) {
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
    if (fwrite(buf, 1, n, stdout) != n) {
      fprintf(stderr, "cat: write error: %s\n", strerror(errno));
      return 1;
    }
  }
  if (ferror(in)) {
    fprintf(stderr, "cat: %s: %s\n", name, strerror(errno));
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  int status = 0;
  if (argc < 2) return copy(stdin, "-");
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-") == 0) {
      status |= copy(stdin, "-");
      continue;
    }
    FILE *f = fopen(argv[i], "rb");
    if (!f) {
      fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno));
      status = 1;
      continue;
    }
    status |= copy(f, argv[i]);
    fclose(f);
  }
  if (fflush(stdout) != 0) status = 1;
  return status;
}
