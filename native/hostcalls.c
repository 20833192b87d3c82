/*
 * hostcalls: the system calls the keep's WASI layer makes on the host's files, as a Node-API
 * module (src/wasi/fs/hostcalls.ts is its only user and says why it exists).
 *
 * Every name is resolved relative to an open directory descriptor (the *at calls), never from
 * the working directory and never from the root: a descriptor below 0 (AT_FDCWD) and a path
 * that starts with '/' are refused with EINVAL before any call. Arguments are checked here as
 * well as by the caller: a wrong type or range is EINVAL, a buffer range outside its array is
 * EFAULT, a path of PATH_MAX bytes or more is ENAMETOOLONG, a path holding a NUL is EINVAL, an
 * empty one ENOENT (as the kernel answers) except where it names the descriptor itself.
 * Every function returns a number >= 0 on success and -errno on failure (readlink and readdir
 * return a string or an array instead of the number on success); none throws.
 *
 * Built by native/build.sh into native/hostcalls.node, which is committed, measured with the
 * keep runtime, and checked to rebuild byte for byte (test/wasi/hostcalls.test.ts).
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARGS 7

typedef struct {
  napi_env env;
  napi_value v[MAX_ARGS];
  size_t n;
} args_t;

static int get_args(napi_env env, napi_callback_info info, args_t *a, size_t want) {
  a->env = env;
  a->n = MAX_ARGS;
  if (napi_get_cb_info(env, info, &a->n, a->v, NULL, NULL) != napi_ok || a->n != want) return -EINVAL;
  return 0;
}

static napi_value num(napi_env env, int64_t x) {
  napi_value r;
  napi_create_int64(env, x, &r);
  return r;
}

/* An integer argument in [lo, hi]. */
static int int_arg(args_t *a, size_t i, int64_t lo, int64_t hi, int64_t *out) {
  napi_valuetype t;
  if (napi_typeof(a->env, a->v[i], &t) != napi_ok || t != napi_number) return -EINVAL;
  double d;
  if (napi_get_value_double(a->env, a->v[i], &d) != napi_ok || d != d || d < (double)lo || d > (double)hi) return -EINVAL;
  *out = (int64_t)d;
  if ((double)*out != d) return -EINVAL;
  return 0;
}

/* A directory (or file) descriptor: never AT_FDCWD. */
static int fd_arg(args_t *a, size_t i, int *fd) {
  int64_t x;
  int e = int_arg(a, i, 0, INT_MAX, &x);
  *fd = (int)x;
  return e;
}

/* A path relative to a descriptor, as latin1 bytes, NUL-terminated into buf[PATH_MAX]. */
static int path_arg(args_t *a, size_t i, char *buf, int allow_empty) {
  size_t len;
  if (napi_get_value_string_latin1(a->env, a->v[i], NULL, 0, &len) != napi_ok) return -EINVAL;
  if (len >= PATH_MAX) return -ENAMETOOLONG;
  if (napi_get_value_string_latin1(a->env, a->v[i], buf, PATH_MAX, &len) != napi_ok) return -EINVAL;
  if (len == 0 && !allow_empty) return -ENOENT;
  if (memchr(buf, 0, len) != NULL || buf[0] == '/') return -EINVAL;
  return 0;
}

static int typed_arg(args_t *a, size_t i, napi_typedarray_type want, void **data, size_t *len) {
  bool is;
  if (napi_is_typedarray(a->env, a->v[i], &is) != napi_ok || !is) return -EINVAL;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(a->env, a->v[i], &t, len, data, &ab, &off) != napi_ok || t != want) return -EINVAL;
  return 0;
}

/* The arguments of a call on a name: `want` in all, the first a descriptor and the second a path. */
static int name_args(napi_env env, napi_callback_info info, args_t *a, size_t want, int *fd, char *path, int allow_empty) {
  int e = get_args(env, info, a, want);
  if (e == 0) e = fd_arg(a, 0, fd);
  if (e == 0) e = path_arg(a, 1, path, allow_empty);
  return e;
}

#define TRY(x)                  \
  do {                          \
    int e_ = (x);               \
    if (e_ < 0) return num(env, e_); \
  } while (0)

static napi_value result(napi_env env, long r) {
  return num(env, r < 0 ? -errno : r);
}

/* read|write(fd, bytes, offset, length, position): position -1 is the file's own offset; EINTR retries. */
static napi_value transfer(napi_env env, napi_callback_info info, int writing) {
  args_t a;
  int fd;
  int64_t off, len, pos;
  void *data;
  size_t size;
  TRY(get_args(env, info, &a, 5));
  TRY(fd_arg(&a, 0, &fd));
  TRY(typed_arg(&a, 1, napi_uint8_array, &data, &size));
  TRY(int_arg(&a, 2, 0, INT64_MAX / 2, &off));
  TRY(int_arg(&a, 3, 0, INT64_MAX / 2, &len));
  TRY(int_arg(&a, 4, -1, INT64_MAX / 2, &pos));
  if ((uint64_t)off + (uint64_t)len > size) return num(env, -EFAULT);
  uint8_t *p = (uint8_t *)data + off;
  ssize_t r;
  do {
    if (writing) r = pos < 0 ? write(fd, p, len) : pwrite(fd, p, len, pos);
    else r = pos < 0 ? read(fd, p, len) : pread(fd, p, len, pos);
  } while (r < 0 && errno == EINTR);
  return result(env, r);
}

static napi_value Read(napi_env env, napi_callback_info info) { return transfer(env, info, 0); }
static napi_value Write(napi_env env, napi_callback_info info) { return transfer(env, info, 1); }

static int64_t ns_of(struct timespec t) {
  /* Wraps like the exact value taken modulo 2^64: what a u64 timestamp holds. */
  return (int64_t)((uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec);
}

/* stat(fd, path, follow, out BigInt64Array(8)): path '' is fstat(fd).
 * out: dev, ino, mode, nlink, size, atime, mtime, ctime (ns). */
static napi_value Stat(napi_env env, napi_callback_info info) {
  args_t a;
  int fd;
  int64_t follow;
  char path[PATH_MAX];
  void *data;
  size_t size;
  TRY(name_args(env, info, &a, 4, &fd, path, 1));
  TRY(int_arg(&a, 2, 0, 1, &follow));
  TRY(typed_arg(&a, 3, napi_bigint64_array, &data, &size));
  if (size < 8) return num(env, -EINVAL);
  struct stat st;
  int r = path[0] ? fstatat(fd, path, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) : fstat(fd, &st);
  if (r < 0) return num(env, -errno);
  int64_t *o = data;
  o[0] = (int64_t)st.st_dev;
  o[1] = (int64_t)st.st_ino;
  o[2] = st.st_mode;
  o[3] = (int64_t)st.st_nlink;
  o[4] = st.st_size;
  o[5] = ns_of(st.st_atim);
  o[6] = ns_of(st.st_mtim);
  o[7] = ns_of(st.st_ctim);
  return num(env, 0);
}

/* open(fd, path, flags, mode): always O_CLOEXEC. */
static napi_value Open(napi_env env, napi_callback_info info) {
  args_t a;
  int fd;
  int64_t flags, mode;
  char path[PATH_MAX];
  TRY(name_args(env, info, &a, 4, &fd, path, 0));
  TRY(int_arg(&a, 2, 0, INT_MAX, &flags));
  TRY(int_arg(&a, 3, 0, 07777, &mode));
  return result(env, openat(fd, path, (int)flags | O_CLOEXEC, (mode_t)mode));
}

/* mkdir(fd, path, mode) and unlink(fd, path, dir) (dir 1 removes a directory): a name and a number. */
static napi_value name_and_number(napi_env env, napi_callback_info info, int unlinking) {
  args_t a;
  int fd;
  int64_t x;
  char path[PATH_MAX];
  TRY(name_args(env, info, &a, 3, &fd, path, 0));
  TRY(int_arg(&a, 2, 0, unlinking ? 1 : 07777, &x));
  return result(env, unlinking ? unlinkat(fd, path, x ? AT_REMOVEDIR : 0) : mkdirat(fd, path, (mode_t)x));
}

static napi_value Mkdir(napi_env env, napi_callback_info info) { return name_and_number(env, info, 0); }
static napi_value Unlink(napi_env env, napi_callback_info info) { return name_and_number(env, info, 1); }

/* rename(fd, path, newFd, newPath) and link(fd, path, newFd, newPath): a final symlink is not followed. */
static napi_value two_names(napi_env env, napi_callback_info info, int linking) {
  args_t a;
  int fd, fd2;
  char path[PATH_MAX], path2[PATH_MAX];
  TRY(name_args(env, info, &a, 4, &fd, path, 0));
  TRY(fd_arg(&a, 2, &fd2));
  TRY(path_arg(&a, 3, path2, 0));
  return result(env, linking ? linkat(fd, path, fd2, path2, 0) : renameat(fd, path, fd2, path2));
}

static napi_value Rename(napi_env env, napi_callback_info info) { return two_names(env, info, 0); }
static napi_value Link(napi_env env, napi_callback_info info) { return two_names(env, info, 1); }

/* symlink(target, fd, path): the target is stored as it is (any bytes but NUL). */
static napi_value Symlink(napi_env env, napi_callback_info info) {
  args_t a;
  int fd;
  char target[PATH_MAX], path[PATH_MAX];
  size_t len;
  TRY(get_args(env, info, &a, 3));
  if (napi_get_value_string_latin1(env, a.v[0], NULL, 0, &len) != napi_ok) return num(env, -EINVAL);
  if (len >= PATH_MAX) return num(env, -ENAMETOOLONG);
  napi_get_value_string_latin1(env, a.v[0], target, PATH_MAX, &len);
  if (len == 0) return num(env, -ENOENT);
  if (memchr(target, 0, len) != NULL) return num(env, -EINVAL);
  TRY(fd_arg(&a, 1, &fd));
  TRY(path_arg(&a, 2, path, 0));
  return result(env, symlinkat(target, fd, path));
}

/* readlink(fd, path): the target's bytes as a latin1 string, or -errno. */
static napi_value Readlink(napi_env env, napi_callback_info info) {
  args_t a;
  int fd;
  char path[PATH_MAX], target[PATH_MAX];
  TRY(name_args(env, info, &a, 2, &fd, path, 0));
  ssize_t n = readlinkat(fd, path, target, sizeof target);
  if (n < 0) return num(env, -errno);
  if ((size_t)n >= sizeof target) return num(env, -ENAMETOOLONG);
  napi_value s;
  napi_create_string_latin1(env, target, (size_t)n, &s);
  return s;
}

static int time_arg(args_t *a, size_t i, struct timespec *t) {
  int64_t ns;
  bool lossless;
  if (napi_get_value_bigint_int64(a->env, a->v[i], &ns, &lossless) != napi_ok || !lossless) return -EINVAL;
  int64_t sec = ns / 1000000000, rem = ns % 1000000000;
  if (rem < 0) sec -= 1, rem += 1000000000;
  t->tv_sec = sec;
  t->tv_nsec = rem;
  return 0;
}

/* utimens(fd, path, atimeNs, mtimeNs, follow): path '' sets the times of fd itself. */
static napi_value Utimens(napi_env env, napi_callback_info info) {
  args_t a;
  int fd;
  int64_t follow;
  char path[PATH_MAX];
  struct timespec t[2];
  TRY(name_args(env, info, &a, 5, &fd, path, 1));
  TRY(time_arg(&a, 2, &t[0]));
  TRY(time_arg(&a, 3, &t[1]));
  TRY(int_arg(&a, 4, 0, 1, &follow));
  if (!path[0]) return result(env, futimens(fd, t));
  return result(env, utimensat(fd, path, t, follow ? 0 : AT_SYMLINK_NOFOLLOW));
}

/* offset(fd): the descriptor's own file offset (lseek SEEK_CUR). */
static napi_value Offset(napi_env env, napi_callback_info info) {
  args_t a;
  int fd;
  TRY(get_args(env, info, &a, 1));
  TRY(fd_arg(&a, 0, &fd));
  return result(env, lseek(fd, 0, SEEK_CUR));
}

/* append(fd, on): sets or clears O_APPEND on the open file. */
static napi_value Append(napi_env env, napi_callback_info info) {
  args_t a;
  int fd;
  int64_t on;
  TRY(get_args(env, info, &a, 2));
  TRY(fd_arg(&a, 0, &fd));
  TRY(int_arg(&a, 1, 0, 1, &on));
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return num(env, -errno);
  return result(env, fcntl(fd, F_SETFL, on ? flags | O_APPEND : flags & ~O_APPEND));
}

/* close(fd) */
static napi_value Close(napi_env env, napi_callback_info info) {
  args_t a;
  int fd;
  TRY(get_args(env, info, &a, 1));
  TRY(fd_arg(&a, 0, &fd));
  return result(env, close(fd));
}

/*
 * readdir(fd): the entries of the directory fd (not '.' or '..') as a flat array, three values
 * each: the name (latin1 string), d_ino (BigInt, as stat gives st_ino) and d_type (number; DT_UNKNOWN is 0), or -errno.
 */
static napi_value Readdir(napi_env env, napi_callback_info info) {
  args_t a;
  int fd;
  TRY(get_args(env, info, &a, 1));
  TRY(fd_arg(&a, 0, &fd));
  int own = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (own < 0) return num(env, -errno);
  DIR *d = fdopendir(own);
  if (d == NULL) {
    int e = errno;
    close(own);
    return num(env, -e);
  }
  napi_value list;
  napi_create_array(env, &list);
  uint32_t count = 0;
  for (;;) {
    errno = 0;
    struct dirent *ent = readdir(d);
    if (ent == NULL) break;
    const char *n = ent->d_name;
    if (n[0] == '.' && (n[1] == 0 || (n[1] == '.' && n[2] == 0))) continue;
    napi_value name, ino, type;
    napi_create_string_latin1(env, n, strlen(n), &name);
    napi_create_bigint_int64(env, (int64_t)ent->d_ino, &ino);
    napi_create_uint32(env, ent->d_type, &type);
    napi_set_element(env, list, count++, name);
    napi_set_element(env, list, count++, ino);
    napi_set_element(env, list, count++, type);
  }
  int e = errno;
  closedir(d);
  return e ? num(env, -e) : list;
}

#define FN(name, f) {name, NULL, f, NULL, NULL, NULL, napi_default, NULL}

NAPI_MODULE_INIT() {
  napi_property_descriptor fns[] = {
    FN("read", Read),
    FN("write", Write),
    FN("stat", Stat),
    FN("open", Open),
    FN("close", Close),
    FN("offset", Offset),
    FN("append", Append),
    FN("mkdir", Mkdir),
    FN("unlink", Unlink),
    FN("rename", Rename),
    FN("link", Link),
    FN("symlink", Symlink),
    FN("readlink", Readlink),
    FN("utimens", Utimens),
    FN("readdir", Readdir),
  };
  if (napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) != napi_ok) return NULL;
  return exports;
}
