/*
 * Prints the arguments and the environment as libc sees them, then checks them against the raw
 * args_sizes_get/args_get and environ_sizes_get/environ_get calls (counts, buffer sizes, NUL
 * terminators, pointers inside the buffer). argv[0] is printed as its last path component.
 *
 * Output:
 *   argc=N
 *   argv[0]=<basename>
 *   argv[i]=<text>            (i >= 1)
 *   env=<KEY=VALUE>           (in the order the runtime gives them)
 *   args_env: all checks passed
 */
#define PROGRAM "args_env"
#include "check.h"

extern char **environ;

static void check_vector(int argc_from_libc, char **libc_v, int is_env) {
  __wasi_size_t count = 0, size = 0;
  OK(is_env ? __wasi_environ_sizes_get(&count, &size) : __wasi_args_sizes_get(&count, &size));
  CHECK_U64(count, (uint64_t)argc_from_libc);
  uint8_t **ptrs = calloc(count + 1, sizeof *ptrs);
  uint8_t *buf = malloc(size + 1);
  if (!ptrs || !buf) exit(2);
  buf[size] = 0xAA; /* the runtime must not write past `size` bytes */
  OK(is_env ? __wasi_environ_get(ptrs, buf) : __wasi_args_get(ptrs, buf));
  CHECK_U64(buf[size], 0xAA);
  size_t total = 0;
  for (__wasi_size_t i = 0; i < count; i++) {
    CHECK(ptrs[i] >= buf && ptrs[i] < buf + size);
    size_t len = strnlen((char *)ptrs[i], (size_t)(buf + size - ptrs[i]));
    CHECK(ptrs[i] + len < buf + size); /* NUL-terminated inside the buffer */
    CHECK(strcmp((char *)ptrs[i], libc_v[i]) == 0);
    total += len + 1;
  }
  CHECK_U64(total, size);
  free(ptrs);
  free(buf);
}

int main(int argc, char **argv) {
  printf("argc=%d\n", argc);
  if (argc > 0) {
    const char *slash = strrchr(argv[0], '/');
    printf("argv[0]=%s\n", slash ? slash + 1 : argv[0]);
  }
  for (int i = 1; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
  int envc = 0;
  for (char **e = environ; e && *e; e++, envc++) printf("env=%s\n", *e);

  check_vector(argc, argv, 0);
  check_vector(envc, environ, 1);
  return finish();
}
