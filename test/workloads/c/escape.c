/*
 * Sandbox escape attempts. Every attempt must FAIL in a correct runtime; the program prints
 *   ESCAPED <attempt>: <what happened>
 * for each one that succeeded, then "escape: N attempts, M escaped", and exits 1 if M > 0.
 * With the argument -v it also prints the errno each blocked attempt got.
 *
 * Host layout the test driver prepares (ROOT is a fresh temporary directory):
 *   ROOT/canary.txt          "CANARY\n"   (outside the sandbox)
 *   ROOT/outside/secret.txt  "SECRET\n"   (outside the sandbox)
 *   ROOT/outlink -> canary.txt            (outside the sandbox)
 *   ROOT/sandbox/            the `tree` fixture, preopened as /sandbox
 *   ROOT/sandbox/abs_link -> ROOT/canary.txt     (absolute symlink made by the host)
 *   ROOT/sandbox/rel_link -> ../canary.txt       (relative symlink made by the host)
 *   ROOT/sandbox/out_dir -> ../outside           (symlink to a directory outside)
 * and the environment variable HOST_ROOT=ROOT, so the guest can try host absolute paths.
 * Afterwards the driver checks that nothing outside ROOT/sandbox changed.
 */
#define PROGRAM "escape"
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

static int verbose, attempts, escaped;
static __wasi_fd_t sandbox;
static char host_root[512];

static void blocked(const char *what, int err) {
  attempts++;
  if (verbose) printf("blocked %s: %s\n", what, errno_name(err));
}

static void breach(const char *what, const char *how) {
  attempts++;
  escaped++;
  printf("ESCAPED %s: %s\n", what, how);
}

/* Setup for a later attempt; the runtime may refuse it, which only makes that attempt moot. */
static void setup_symlink(const char *target, __wasi_fd_t dir, const char *link) {
  int e = __wasi_path_symlink(target, dir, link);
  if (verbose && e) printf("note: path_symlink %s -> %s refused: %s\n", link, target, errno_name(e));
}

/* Opening must fail; if it succeeds, say what the fd can read. */
static void try_open_fd(__wasi_fd_t dir, __wasi_lookupflags_t lookup, const char *path, size_t len,
                        __wasi_oflags_t oflags, __wasi_rights_t rights, const char *what) {
  __wasi_fd_t fd;
  __wasi_rights_t inheriting = (oflags & __WASI_OFLAGS_DIRECTORY) ? (R_DIR_ALL | R_FILE_ALL) : 0;
  int e = raw_path_open((int32_t)dir, (int32_t)lookup, path, (int32_t)len, oflags, (int64_t)rights,
                        (int64_t)inheriting, 0, &fd);
  if (e) {
    blocked(what, e);
    return;
  }
  char buf[64] = {0}, how[128];
  size_t got = 0;
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
  if (!(oflags & __WASI_OFLAGS_DIRECTORY) && __wasi_fd_read(fd, &iov, 1, &got) == 0) {
    for (size_t i = 0; i < got; i++)
      if (buf[i] == '\n') buf[i] = ' ';
    snprintf(how, sizeof how, "opened, read \"%.*s\"", (int)got, buf);
  } else {
    snprintf(how, sizeof how, "opened as fd %u", (unsigned)fd);
  }
  breach(what, how);
  if (__wasi_fd_close(fd) != 0) printf("note: could not close fd %u\n", (unsigned)fd);
}

static void try_open(const char *path, __wasi_lookupflags_t lookup, const char *what) {
  try_open_fd(sandbox, lookup, path, strlen(path), 0, R_READ, what);
}

/* A directory capability obtained outside the sandbox would be an escape by itself. */
static void try_open_dir(__wasi_fd_t dir, const char *path, const char *what) {
  try_open_fd(dir, FOLLOW, path, strlen(path), __WASI_OFLAGS_DIRECTORY, R_DIR_ALL, what);
}

/* A call that must fail (a non-zero errno). */
static void must_fail(int err, const char *what) {
  if (err)
    blocked(what, err);
  else
    breach(what, "succeeded");
}

static void via_dotdot(void) {
  try_open("../canary.txt", 0, "open ../canary.txt");
  try_open("../canary.txt", FOLLOW, "open ../canary.txt (follow)");
  try_open("./../canary.txt", FOLLOW, "open ./../canary.txt");
  try_open("sub/../../canary.txt", FOLLOW, "open sub/../../canary.txt");
  try_open("sub/deeper/../../../canary.txt", FOLLOW, "open sub/deeper/../../../canary.txt");
  try_open("sub/./..//..//canary.txt", FOLLOW, "open sub/./..//..//canary.txt");
  try_open("missing/../../canary.txt", FOLLOW, "open missing/../../canary.txt");
  try_open("../sandbox/../canary.txt", FOLLOW, "open ../sandbox/../canary.txt");
  try_open("../outside/secret.txt", FOLLOW, "open ../outside/secret.txt");
  try_open_dir(sandbox, "..", "open .. as a directory");
  try_open_dir(sandbox, "sub/../..", "open sub/../.. as a directory");
  try_open_dir(sandbox, "../outside", "open ../outside as a directory");

  __wasi_filestat_t st;
  must_fail(__wasi_path_filestat_get(sandbox, FOLLOW, "../canary.txt", &st), "path_filestat_get ../canary.txt");
  must_fail(__wasi_path_filestat_get(sandbox, 0, "..", &st), "path_filestat_get ..");
  must_fail(__wasi_path_filestat_set_times(sandbox, 0, "../canary.txt", 0, 0, __WASI_FSTFLAGS_MTIM),
            "path_filestat_set_times ../canary.txt");
  char buf[64];
  size_t n;
  must_fail(__wasi_path_readlink(sandbox, "../outlink", (uint8_t *)buf, sizeof buf, &n), "path_readlink ../outlink");
  must_fail(__wasi_path_unlink_file(sandbox, "../canary.txt"), "path_unlink_file ../canary.txt");
  must_fail(__wasi_path_remove_directory(sandbox, "../outside"), "path_remove_directory ../outside");
  must_fail(__wasi_path_create_directory(sandbox, "../made-dir"), "path_create_directory ../made-dir");
  try_open_fd(sandbox, 0, "../made.txt", 11, __WASI_OFLAGS_CREAT, R_FILE_ALL, "create ../made.txt");
  try_open_fd(sandbox, 0, "../canary.txt", 13, __WASI_OFLAGS_TRUNC, R_FILE_ALL, "truncate ../canary.txt");
  must_fail(__wasi_path_symlink("hello.txt", sandbox, "../made-link"), "path_symlink into ..");
  must_fail(__wasi_path_link(sandbox, 0, "../canary.txt", sandbox, "hardlink-in"), "path_link ../canary.txt in");
  must_fail(__wasi_path_link(sandbox, 0, "hello.txt", sandbox, "../hardlink-out"), "path_link hello.txt out");
  must_fail(__wasi_path_rename(sandbox, "hello.txt", sandbox, "../moved.txt"), "path_rename hello.txt out");
  must_fail(__wasi_path_rename(sandbox, "../canary.txt", sandbox, "stolen.txt"), "path_rename ../canary.txt in");
  must_fail(__wasi_path_rename(sandbox, "sub", sandbox, "../moved-dir"), "path_rename sub out");
}

static void absolute_paths(void) {
  char path[600];
  snprintf(path, sizeof path, "%s/canary.txt", host_root);
  try_open(path, FOLLOW, "open the host absolute path of canary.txt");
  try_open("/canary.txt", FOLLOW, "open /canary.txt");
  try_open("/etc/passwd", FOLLOW, "open /etc/passwd");
  try_open("//etc/passwd", FOLLOW, "open //etc/passwd");
  try_open("/sandbox/hello.txt", FOLLOW, "open /sandbox/hello.txt relative to the preopen");
  try_open("/proc/self/environ", FOLLOW, "open /proc/self/environ");
  try_open("../../../../../../../../proc/self/environ", FOLLOW, "open ../../../../proc/self/environ");
  try_open_dir(sandbox, "/", "open / as a directory");
  try_open_dir(sandbox, "/proc/self/root", "open /proc/self/root");
  try_open_dir(1, "/etc", "open /etc relative to stdout");

  /* The same through libc, which maps absolute paths onto the preopens. */
  const char *libc_paths[] = {path, "/etc/passwd", "/proc/self/environ", "/proc/self/root/etc/passwd",
                              "/sandbox/../canary.txt", "/sandbox/sub/../../canary.txt", "/sandbox/rel_link",
                              "/sandbox/abs_link", "/sandbox/out_dir/secret.txt"};
  for (size_t i = 0; i < sizeof libc_paths / sizeof libc_paths[0]; i++) {
    char what[700];
    snprintf(what, sizeof what, "libc open(\"%s\")", libc_paths[i]);
    int fd = open(libc_paths[i], O_RDONLY);
    if (fd < 0) {
      blocked(what, errno);
    } else {
      char buf[32] = {0};
      ssize_t got = read(fd, buf, sizeof buf - 1);
      char how[64];
      snprintf(how, sizeof how, "read %zd bytes", got);
      breach(what, how);
      close(fd);
    }
  }
}

static void via_symlinks(void) {
  /* Made by the host. */
  try_open("abs_link", FOLLOW, "follow abs_link (absolute target)");
  try_open("rel_link", FOLLOW, "follow rel_link (../canary.txt)");
  try_open("out_dir/secret.txt", FOLLOW, "open out_dir/secret.txt through a symlinked directory");
  try_open_dir(sandbox, "out_dir", "open out_dir as a directory");
  __wasi_filestat_t st;
  must_fail(__wasi_path_filestat_get(sandbox, FOLLOW, "abs_link", &st), "path_filestat_get abs_link (follow)");
  must_fail(__wasi_path_filestat_get(sandbox, FOLLOW, "rel_link", &st), "path_filestat_get rel_link (follow)");
  must_fail(__wasi_path_filestat_set_times(sandbox, FOLLOW, "rel_link", 0, 0, __WASI_FSTFLAGS_MTIM),
            "path_filestat_set_times rel_link (follow)");
  must_fail(__wasi_path_link(sandbox, FOLLOW, "rel_link", sandbox, "hardlink-via-link"),
            "path_link rel_link with SYMLINK_FOLLOW");
  must_fail(__wasi_path_rename(sandbox, "hello.txt", sandbox, "out_dir/moved.txt"),
            "path_rename into out_dir");
  must_fail(__wasi_path_create_directory(sandbox, "out_dir/made-dir"), "path_create_directory out_dir/made-dir");
  try_open_fd(sandbox, FOLLOW, "rel_link", 8, __WASI_OFLAGS_TRUNC, R_FILE_ALL, "truncate through rel_link");

  /* Made by the guest; creating them may be refused (that is fine), following them must fail. */
  char target[600];
  snprintf(target, sizeof target, "%s/canary.txt", host_root);
  struct {
    const char *target, *link;
  } links[] = {
      {target, "g_abs"},           {"/etc/passwd", "g_etc"},        {"../canary.txt", "g_rel"},
      {"g_chain2", "g_chain1"},    {"g_chain3", "g_chain2"},        {"../canary.txt", "g_chain3"},
      {"sub", "g_sub"},            {"..", "g_up"},                  {"sub/../..", "g_upup"},
      {"/", "g_root"},             {"../made-by-link.txt", "g_new"}, {"sub/deeper/../../../outside", "g_out"},
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) setup_symlink(links[i].target, sandbox, links[i].link);
  try_open("g_abs", FOLLOW, "follow a guest symlink to the host absolute path");
  try_open("g_etc", FOLLOW, "follow a guest symlink to /etc/passwd");
  try_open("g_rel", FOLLOW, "follow a guest symlink to ../canary.txt");
  try_open("g_chain1", FOLLOW, "follow a chain of three symlinks out");
  try_open("g_sub/../../canary.txt", FOLLOW, "symlink to a directory, then ..");
  try_open("g_up/canary.txt", FOLLOW, "symlink to .., then a name");
  try_open("g_upup/canary.txt", FOLLOW, "symlink to sub/../.., then a name");
  try_open("g_root/etc/passwd", FOLLOW, "symlink to /, then etc/passwd");
  try_open("g_out/secret.txt", FOLLOW, "symlink climbing through sub/deeper to ../outside");
  try_open_dir(sandbox, "g_up", "open a symlink to .. as a directory");
  /* Only meaningful when the dangling link exists; else O_CREAT would just make g_new inside. */
  __wasi_filestat_t lst;
  if (__wasi_path_filestat_get(sandbox, 0, "g_new", &lst) == 0 && lst.filetype == __WASI_FILETYPE_SYMBOLIC_LINK)
    try_open_fd(sandbox, FOLLOW, "g_new", 5, __WASI_OFLAGS_CREAT, R_FILE_ALL, "create through a dangling symlink out");
  else
    blocked("create through a dangling symlink out (the link was refused)", 0);

  /* O_NOFOLLOW semantics: a symlink as the final component is not opened without SYMLINK_FOLLOW. */
  try_open("rel_link", 0, "open rel_link without SYMLINK_FOLLOW");
  try_open("abs_link", 0, "open abs_link without SYMLINK_FOLLOW");
  setup_symlink("hello.txt", sandbox, "g_inside");
  try_open("g_inside", 0, "open an inside symlink without SYMLINK_FOLLOW");
}

static void odd_paths(void) {
  static const char nul1[] = "hello.txt\0../../canary.txt";
  static const char nul2[] = "sub\0/../../canary.txt";
  static const char nul3[] = "..\0";
  try_open_fd(sandbox, FOLLOW, nul1, sizeof nul1 - 1, 0, R_READ, "path with a NUL then ../../canary.txt");
  try_open_fd(sandbox, FOLLOW, nul2, sizeof nul2 - 1, 0, R_READ, "path sub<NUL>/../../canary.txt");
  try_open_fd(sandbox, FOLLOW, nul3, sizeof nul3 - 1, __WASI_OFLAGS_DIRECTORY, R_DIR_ALL, "path ..<NUL>");
  try_open_fd(sandbox, FOLLOW, "hello.txt\0", 10, 0, R_READ, "path with a trailing NUL");

  /* Very long paths: must fail cleanly (ENAMETOOLONG/ENOENT), not crash or resolve. */
  static char longp[70000];
  size_t len = 0;
  while (len + 3 < 65536) {
    memcpy(longp + len, "../", 3);
    len += 3;
  }
  memcpy(longp + len, "canary.txt", 10);
  len += 10;
  try_open_fd(sandbox, FOLLOW, longp, len, 0, R_READ, "65 KiB of ../ then canary.txt");
  len = 0;
  while (len + 4 < 65536) {
    memcpy(longp + len, "sub/", 4);
    len += 4;
  }
  try_open_fd(sandbox, FOLLOW, longp, len, 0, R_READ, "65 KiB of sub/");
  memset(longp, 'x', 66000);
  must_fail(raw_path_create_directory((int32_t)sandbox, longp, 66000), "path_create_directory of a 66000-byte name");
  __wasi_filestat_t st;
  must_fail(raw_path_filestat_get((int32_t)sandbox, FOLLOW, longp, 66000, &st), "path_filestat_get of a 66000-byte name");
}

static void descriptors(void) {
  /* Descriptors that were never opened. */
  char buf[16];
  size_t n;
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  __wasi_prestat_t ps;
  for (__wasi_fd_t fd = sandbox + 1; fd < sandbox + 64; fd++) {
    if (__wasi_fd_read(fd, &iov, 1, &n) == 0) breach("fd_read on a descriptor never opened", "succeeded");
    if (__wasi_fd_prestat_get(fd, &ps) == 0) breach("fd_prestat_get on a descriptor never opened", "succeeded");
    __wasi_fd_t out;
    if (__wasi_path_open(fd, FOLLOW, "canary.txt", 0, R_READ, 0, 0, &out) == 0)
      breach("path_open from a descriptor never opened", "succeeded");
  }
  attempts += 3;
  const __wasi_fd_t huge[] = {0x7fffffff, 0xffffffff, 0x80000000};
  for (size_t i = 0; i < 3; i++) {
    must_fail(__wasi_fd_read(huge[i], &iov, 1, &n), "fd_read on a huge descriptor number");
    __wasi_fd_t out;
    must_fail(__wasi_path_open(huge[i], FOLLOW, "canary.txt", 0, R_READ, 0, 0, &out), "path_open from a huge descriptor");
  }

  /* A subdirectory fd is a sandbox of its own: `..` does not climb out of it. */
  int64_t r = open_at(sandbox, 0, "sub", __WASI_OFLAGS_DIRECTORY, R_DIR_ALL, 0);
  MUST(open_errno(r));
  __wasi_fd_t sub = (__wasi_fd_t)r;
  try_open_fd(sub, FOLLOW, "../hello.txt", 12, 0, R_READ, "open ../hello.txt from a sub fd");
  try_open_fd(sub, FOLLOW, "../../canary.txt", 16, 0, R_READ, "open ../../canary.txt from a sub fd");
  try_open_dir(sub, "..", "open .. from a sub fd");
  setup_symlink("..", sandbox, "sub/g_parent");
  try_open_fd(sub, FOLLOW, "g_parent/hello.txt", 18, 0, R_READ, "symlink to .. inside a sub fd");

  /* fd_renumber onto the preopen: the number now names sub, which cannot reach its parent. */
  if (__wasi_fd_renumber(sub, sandbox) == 0) {
    try_open_fd(sandbox, FOLLOW, "../hello.txt", 12, 0, R_READ, "open ../hello.txt after renumbering sub onto the preopen");
    try_open_fd(sandbox, FOLLOW, "../../canary.txt", 16, 0, R_READ,
                "open ../../canary.txt after renumbering sub onto the preopen");
  } else {
    blocked("fd_renumber sub onto the preopen", 0);
    blocked("(second renumber check)", 0);
  }
  /* stdio renumbered onto the preopen number gives no directory capability. */
  if (__wasi_fd_renumber(2, sandbox) == 0) {
    try_open_fd(sandbox, FOLLOW, "canary.txt", 10, 0, R_READ, "path_open from stderr renumbered onto the preopen");
  } else {
    blocked("fd_renumber stderr onto the preopen", 0);
  }
}

int main(int argc, char **argv) {
  verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
  const char *root = getenv("HOST_ROOT");
  if (!root || strlen(root) >= sizeof host_root) {
    printf("FATAL escape: HOST_ROOT is not set\n");
    return 2;
  }
  strcpy(host_root, root);
  sandbox = preopen("/sandbox");

  via_dotdot();
  absolute_paths();
  via_symlinks();
  odd_paths();
  descriptors();

  printf("escape: %d attempts, %d escaped\n", attempts, escaped);
  return escaped ? 1 : 0;
}
