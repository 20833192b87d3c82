/*
 * Tiny check harness shared by the C workloads (WASI preview1, wasi_snapshot_preview1).
 *
 * A program makes checks with EXPECT/OK/CHECK; a failed check prints one line
 *   FAIL <program>:<line>: <expression> -> <got>, want <a>|<b>
 * to stdout, and finish() prints "<program>: all checks passed" (exit 0) or
 * "<program>: N of M checks failed" (exit 1). Expected stdout in cases.json is therefore the one
 * summary line, and a failing run shows exactly which checks broke.
 *
 * Several errnos are accepted where the WASI spec leaves the choice open and real runtimes
 * differ (for example EPERM from wasmtime/cap-std vs ENOTCAPABLE from older runtimes for a path
 * that leaves the sandbox); each such list says why in the calling program.
 */
#ifndef WORKLOAD_CHECK_H
#define WORKLOAD_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#ifndef PROGRAM
#error "define PROGRAM before including check.h"
#endif

#define HELPER static __attribute__((unused))

static int n_checks, n_failed;

/* Line-buffered stdout: if the runtime kills or hangs the program, the lines so far are out. */
__attribute__((constructor)) static void line_buffered_stdout(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

static const char *const ERRNO_NAMES[] = {"SUCCESS","2BIG","ACCES","ADDRINUSE","ADDRNOTAVAIL","AFNOSUPPORT","AGAIN","ALREADY","BADF","BADMSG","BUSY","CANCELED","CHILD","CONNABORTED","CONNREFUSED","CONNRESET","DEADLK","DESTADDRREQ","DOM","DQUOT","EXIST","FAULT","FBIG","HOSTUNREACH","IDRM","ILSEQ","INPROGRESS","INTR","INVAL","IO","ISCONN","ISDIR","LOOP","MFILE","MLINK","MSGSIZE","MULTIHOP","NAMETOOLONG","NETDOWN","NETRESET","NETUNREACH","NFILE","NOBUFS","NODEV","NOENT","NOEXEC","NOLCK","NOLINK","NOMEM","NOMSG","NOPROTOOPT","NOSPC","NOSYS","NOTCONN","NOTDIR","NOTEMPTY","NOTRECOVERABLE","NOTSOCK","NOTSUP","NOTTY","NXIO","OVERFLOW","OWNERDEAD","PERM","PIPE","PROTO","PROTONOSUPPORT","PROTOTYPE","RANGE","ROFS","SPIPE","SRCH","STALE","TIMEDOUT","TXTBSY","XDEV","NOTCAPABLE"};

HELPER const char *errno_name(int e) {
  static char buf[16];
  if (e >= 0 && e < (int)(sizeof ERRNO_NAMES / sizeof ERRNO_NAMES[0])) return ERRNO_NAMES[e];
  snprintf(buf, sizeof buf, "errno %d", e);
  return buf;
}

/* `want` is a list of acceptable errnos ended by -1. */
HELPER void check_errno_(int line, const char *what, int got, const int *want) {
  n_checks++;
  for (const int *w = want; *w >= 0; w++)
    if (*w == got) return;
  n_failed++;
  printf("FAIL %s:%d: %s -> %s, want", PROGRAM, line, what, errno_name(got));
  for (const int *w = want; *w >= 0; w++) printf("%s%s", w == want ? " " : "|", errno_name(*w));
  printf("\n");
}

HELPER int check_(int line, const char *what, int ok) {
  n_checks++;
  if (!ok) {
    n_failed++;
    printf("FAIL %s:%d: %s\n", PROGRAM, line, what);
  }
  return ok;
}

HELPER void check_u64_(int line, const char *what, uint64_t got, uint64_t want) {
  n_checks++;
  if (got != want) {
    n_failed++;
    printf("FAIL %s:%d: %s == %llu, want %llu\n", PROGRAM, line, what, (unsigned long long)got,
           (unsigned long long)want);
  }
}

HELPER void check_str_(int line, const char *what, const char *got, size_t got_len, const char *want) {
  n_checks++;
  if (got_len != strlen(want) || memcmp(got, want, got_len) != 0) {
    n_failed++;
    printf("FAIL %s:%d: %s == \"%.*s\", want \"%s\"\n", PROGRAM, line, what, (int)got_len, got, want);
  }
}

#define E(name) __WASI_ERRNO_##name
/* EXPECT(call, E(X), E(Y)...): the call returns one of the listed errnos. */
#define EXPECT(call, ...) check_errno_(__LINE__, #call, (int)(call), (const int[]){__VA_ARGS__, -1})
/* OK(call): the call succeeds. */
#define OK(call) EXPECT(call, 0)
/* Closes an fd the program opened; failing to close is a failed check. */
#define CLOSE(fd) OK(__wasi_fd_close(fd))
#define CHECK(cond) check_(__LINE__, #cond, (cond) ? 1 : 0)
#define CHECK_U64(got, want) check_u64_(__LINE__, #got, (uint64_t)(got), (uint64_t)(want))
#define CHECK_STR(buf, len, want) check_str_(__LINE__, #buf, (const char *)(buf), (size_t)(len), (want))

/* A setup step the rest of the program depends on: stop at once when it fails. */
#define MUST(call)                                                                  \
  do {                                                                              \
    int must_errno_ = (int)(call);                                                  \
    if (must_errno_ != 0) {                                                         \
      printf("FATAL %s:%d: %s -> %s\n", PROGRAM, __LINE__, #call, errno_name(must_errno_)); \
      exit(2);                                                                      \
    }                                                                               \
  } while (0)

HELPER int finish(void) {
  if (n_failed == 0)
    printf("%s: all checks passed\n", PROGRAM);
  else
    printf("%s: %d of %d checks failed\n", PROGRAM, n_failed, n_checks);
  fflush(stdout);
  return n_failed ? 1 : 0;
}

/* Raw imports that take an explicit path length, so paths may hold NUL bytes. */
#define WASI_IMPORT(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(name)))
int32_t raw_path_open(int32_t fd, int32_t dirflags, const char *path, int32_t path_len, int32_t oflags,
                      int64_t rights_base, int64_t rights_inheriting, int32_t fdflags,
                      __wasi_fd_t *out) WASI_IMPORT("path_open");
int32_t raw_path_create_directory(int32_t fd, const char *path, int32_t path_len)
    WASI_IMPORT("path_create_directory");
int32_t raw_path_filestat_get(int32_t fd, int32_t flags, const char *path, int32_t path_len,
                              __wasi_filestat_t *out) WASI_IMPORT("path_filestat_get");

/* The fd of the preopened directory named `name` (e.g. "/sandbox"); exits when absent. */
HELPER __wasi_fd_t preopen(const char *name) {
  for (__wasi_fd_t fd = 3; fd < 64; fd++) {
    __wasi_prestat_t ps;
    if (__wasi_fd_prestat_get(fd, &ps) != 0) break;
    if (ps.tag != __WASI_PREOPENTYPE_DIR) continue;
    char buf[256];
    size_t len = ps.u.dir.pr_name_len;
    if (len >= sizeof buf || __wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, len) != 0) continue;
    if (len == strlen(name) && memcmp(buf, name, len) == 0) return fd;
  }
  printf("FATAL %s: no preopened directory %s\n", PROGRAM, name);
  exit(2);
}

/* Rights: the spec's bit positions (wasi_snapshot_preview1.witx, $rights). */
#define R_READ __WASI_RIGHTS_FD_READ
#define R_WRITE __WASI_RIGHTS_FD_WRITE
#define R_FILE_ALL                                                                            \
  (__WASI_RIGHTS_FD_DATASYNC | __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK |                \
   __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_TELL |        \
   __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_ALLOCATE |             \
   __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE |                       \
   __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | __WASI_RIGHTS_POLL_FD_READWRITE)
#define R_DIR_ALL                                                                              \
  (__WASI_RIGHTS_PATH_CREATE_DIRECTORY | __WASI_RIGHTS_PATH_CREATE_FILE |                      \
   __WASI_RIGHTS_PATH_LINK_SOURCE | __WASI_RIGHTS_PATH_LINK_TARGET | __WASI_RIGHTS_PATH_OPEN | \
   __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_PATH_READLINK | __WASI_RIGHTS_PATH_RENAME_SOURCE |  \
   __WASI_RIGHTS_PATH_RENAME_TARGET | __WASI_RIGHTS_PATH_FILESTAT_GET |                        \
   __WASI_RIGHTS_PATH_FILESTAT_SET_SIZE | __WASI_RIGHTS_PATH_FILESTAT_SET_TIMES |              \
   __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES |                       \
   __WASI_RIGHTS_PATH_SYMLINK | __WASI_RIGHTS_PATH_REMOVE_DIRECTORY |                          \
   __WASI_RIGHTS_PATH_UNLINK_FILE)

/* path_open with the usual rights: returns the new fd, or -errno. */
HELPER int64_t open_at(__wasi_fd_t dir, __wasi_lookupflags_t lookup, const char *path, __wasi_oflags_t oflags,
                       __wasi_rights_t base, __wasi_fdflags_t fdflags) {
  __wasi_fd_t fd;
  __wasi_rights_t inheriting = (oflags & __WASI_OFLAGS_DIRECTORY) ? (R_DIR_ALL | R_FILE_ALL) : 0;
  int e = __wasi_path_open(dir, lookup, path, oflags, base, inheriting, fdflags, &fd);
  return e ? -(int64_t)e : (int64_t)fd;
}

/* The errno of an open_at result (0 when it gave an fd). */
HELPER int open_errno(int64_t r) { return r < 0 ? (int)-r : 0; }

/* Whole-buffer helpers over fd_write/fd_read with one iovec. */
HELPER int write_all(__wasi_fd_t fd, const void *buf, size_t len, size_t *n) {
  __wasi_ciovec_t iov = {(const uint8_t *)buf, len};
  return __wasi_fd_write(fd, &iov, 1, n);
}
/* Writes all of buf, looping over short writes (a runtime may write fewer bytes than asked). */
HELPER int write_full(__wasi_fd_t fd, const void *buf, size_t len) {
  const uint8_t *p = buf;
  while (len > 0) {
    size_t n;
    int e = write_all(fd, p, len, &n);
    if (e) return e;
    if (n == 0 || n > len) return __WASI_ERRNO_IO;
    p += n;
    len -= n;
  }
  return 0;
}
/* Reads up to len bytes from offset, looping over short reads; *got receives the count. */
HELPER int pread_full(__wasi_fd_t fd, void *buf, size_t len, uint64_t offset, size_t *got) {
  uint8_t *p = buf;
  *got = 0;
  while (*got < len) {
    __wasi_iovec_t iov = {p + *got, len - *got};
    size_t n;
    int e = __wasi_fd_pread(fd, &iov, 1, offset + *got, &n);
    if (e) return e;
    if (n == 0) break;
    *got += n;
  }
  return 0;
}
HELPER int read_some(__wasi_fd_t fd, void *buf, size_t len, size_t *n) {
  __wasi_iovec_t iov = {(uint8_t *)buf, len};
  return __wasi_fd_read(fd, &iov, 1, n);
}

#endif
