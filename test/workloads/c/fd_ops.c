/*
 * fd_* functions of wasi_snapshot_preview1 on files, directories, stdio and closed fds:
 * fd_read, fd_write, fd_pread, fd_pwrite, fd_seek, fd_tell, fd_advise, fd_allocate, fd_close,
 * fd_datasync, fd_sync, fd_fdstat_get, fd_fdstat_set_flags, fd_fdstat_set_rights,
 * fd_filestat_get, fd_filestat_set_size, fd_filestat_set_times, fd_renumber, fd_prestat_get,
 * fd_prestat_dir_name, and their errno paths (EBADF, EINVAL, ESPIPE, EISDIR, ENOTCAPABLE ...).
 *
 * Needs the `tree` fixture preopened as /sandbox (numbers.txt = "0123456789").
 * stdin/stdout/stderr must be pipes (the test driver's default).
 */
#define PROGRAM "fd_ops"
#include "check.h"

#define NS 1000000000ull

static void read_seek_tell(__wasi_fd_t dir) {
  int64_t r = open_at(dir, 0, "numbers.txt", 0,
                      R_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | __WASI_RIGHTS_FD_FILESTAT_GET |
                          __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS,
                      0);
  MUST(open_errno(r));
  __wasi_fd_t fd = (__wasi_fd_t)r;
  size_t n;
  __wasi_filesize_t pos;
  char a[4], b[100], buf[64];

  /* Scatter read: a runtime may fill only the first buffer (wasmtime does), never less. */
  __wasi_iovec_t iov[2] = {{(uint8_t *)a, sizeof a}, {(uint8_t *)b, sizeof b}};
  OK(__wasi_fd_read(fd, iov, 2, &n));
  CHECK(n >= 4 && n <= 10);
  CHECK_STR(a, 4, "0123");
  if (n > 4) CHECK(memcmp(b, "456789", n - 4) == 0);
  OK(__wasi_fd_tell(fd, &pos));
  CHECK_U64(pos, n);
  OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &pos));
  CHECK_U64(pos, 10);
  OK(read_some(fd, buf, sizeof buf, &n));
  CHECK_U64(n, 0); /* end of file: success with 0 bytes */
  OK(__wasi_fd_tell(fd, &pos));
  CHECK_U64(pos, 10);

  OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  CHECK_U64(pos, 0);
  OK(__wasi_fd_seek(fd, -3, __WASI_WHENCE_END, &pos));
  CHECK_U64(pos, 7);
  OK(__wasi_fd_seek(fd, 2, __WASI_WHENCE_CUR, &pos));
  CHECK_U64(pos, 9);
  OK(__wasi_fd_seek(fd, -2, __WASI_WHENCE_CUR, &pos));
  CHECK_U64(pos, 7);
  OK(read_some(fd, buf, 2, &n));
  CHECK_STR(buf, n, "78");
  EXPECT(__wasi_fd_seek(fd, -1, __WASI_WHENCE_SET, &pos), E(INVAL));
  EXPECT(__wasi_fd_seek(fd, -100, __WASI_WHENCE_CUR, &pos), E(INVAL));
  EXPECT(__wasi_fd_seek(fd, INT64_MIN, __WASI_WHENCE_END, &pos), E(INVAL));
  OK(__wasi_fd_tell(fd, &pos));
  CHECK_U64(pos, 9); /* failed seeks leave the offset alone */
  OK(__wasi_fd_seek(fd, 100, __WASI_WHENCE_SET, &pos));
  CHECK_U64(pos, 100); /* past the end is allowed */
  OK(read_some(fd, buf, sizeof buf, &n));
  CHECK_U64(n, 0);

  /* pread does not move the offset. */
  OK(__wasi_fd_seek(fd, 2, __WASI_WHENCE_SET, &pos));
  __wasi_iovec_t one = {(uint8_t *)buf, 4};
  OK(__wasi_fd_pread(fd, &one, 1, 3, &n));
  CHECK_STR(buf, n, "3456");
  OK(__wasi_fd_pread(fd, &one, 1, 8, &n));
  CHECK_STR(buf, n, "89");
  OK(__wasi_fd_pread(fd, &one, 1, 50, &n));
  CHECK_U64(n, 0);
  OK(__wasi_fd_tell(fd, &pos));
  CHECK_U64(pos, 2);

  /* Opened without FD_WRITE: writing fails. */
  EXPECT(write_all(fd, "x", 1, &n), E(BADF), E(NOTCAPABLE));
  __wasi_ciovec_t civ = {(const uint8_t *)"x", 1};
  EXPECT(__wasi_fd_pwrite(fd, &civ, 1, 0, &n), E(BADF), E(NOTCAPABLE));

  /* fd_advise: every advice value is accepted (unknown values: wat/badvalue.wat). */
  for (__wasi_advice_t adv = __WASI_ADVICE_NORMAL; adv <= __WASI_ADVICE_NOREUSE; adv++)
    OK(__wasi_fd_advise(fd, 0, 10, adv));

  __wasi_filestat_t st;
  OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_U64(st.filetype, __WASI_FILETYPE_REGULAR_FILE);
  CHECK_U64(st.size, 10);
  CHECK_U64(st.nlink, 1);
  __wasi_fdstat_t fs;
  OK(__wasi_fd_fdstat_get(fd, &fs));
  CHECK_U64(fs.fs_filetype, __WASI_FILETYPE_REGULAR_FILE);
  CHECK_U64(fs.fs_flags, 0);
  CHECK(fs.fs_rights_base & R_READ);

  OK(__wasi_fd_close(fd));
  EXPECT(read_some(fd, buf, 1, &n), E(BADF));
  EXPECT(__wasi_fd_close(fd), E(BADF));
}

static void write_and_resize(__wasi_fd_t dir) {
  int64_t r = open_at(dir, 0, "out.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, R_FILE_ALL, 0);
  MUST(open_errno(r));
  __wasi_fd_t fd = (__wasi_fd_t)r;
  size_t n;
  __wasi_filesize_t pos;
  __wasi_filestat_t st;
  char buf[128];

  OK(write_full(fd, "hello world", 11));
  OK(__wasi_fd_tell(fd, &pos));
  CHECK_U64(pos, 11);
  __wasi_ciovec_t civ = {(const uint8_t *)"HELLO", 5};
  OK(__wasi_fd_pwrite(fd, &civ, 1, 0, &n));
  CHECK_U64(n, 5);
  OK(__wasi_fd_tell(fd, &pos));
  CHECK_U64(pos, 11); /* pwrite does not move the offset */
  __wasi_ciovec_t bang = {(const uint8_t *)"!", 1};
  OK(__wasi_fd_pwrite(fd, &bang, 1, 20, &n)); /* leaves a hole of zeros */
  OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_U64(st.size, 21);
  OK(pread_full(fd, buf, sizeof buf, 0, &n));
  CHECK_U64(n, 21);
  CHECK(memcmp(buf, "HELLO world\0\0\0\0\0\0\0\0\0!", 21) == 0);
  OK(__wasi_fd_datasync(fd));
  OK(__wasi_fd_sync(fd));

  /* fd_filestat_set_size truncates and extends with zeros. */
  OK(__wasi_fd_filestat_set_size(fd, 5));
  OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_U64(st.size, 5);
  OK(__wasi_fd_filestat_set_size(fd, 100));
  OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_U64(st.size, 100);
  OK(pread_full(fd, buf, 10, 0, &n));
  CHECK(n == 10 && memcmp(buf, "HELLO\0\0\0\0\0", 10) == 0);

  /* fd_allocate: either it works (and never shrinks) or the runtime says ENOTSUP (wasmtime). */
  int e = __wasi_fd_allocate(fd, 0, 200);
  EXPECT(e, 0, E(NOTSUP));
  if (e == 0) {
    OK(__wasi_fd_filestat_get(fd, &st));
    CHECK_U64(st.size, 200);
    OK(__wasi_fd_allocate(fd, 10, 10));
    OK(__wasi_fd_filestat_get(fd, &st));
    CHECK_U64(st.size, 200);
  }

  /* fd_filestat_set_times with nanosecond precision, and the invalid flag combinations. */
  const uint64_t atim = 1000000000ull * NS + 123456789ull, mtim = 1100000000ull * NS + 987654321ull;
  OK(__wasi_fd_filestat_set_times(fd, atim, mtim, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_U64(st.atim, atim);
  CHECK_U64(st.mtim, mtim);
  OK(__wasi_fd_filestat_set_times(fd, 0, 5 * NS, __WASI_FSTFLAGS_MTIM)); /* atim untouched */
  OK(__wasi_fd_filestat_get(fd, &st));
  CHECK_U64(st.atim, atim);
  CHECK_U64(st.mtim, 5 * NS);
  __wasi_timestamp_t before, after;
  OK(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &before));
  OK(__wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  OK(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &after));
  OK(__wasi_fd_filestat_get(fd, &st));
  CHECK(st.mtim + 2 * NS >= before && st.mtim <= after + 2 * NS); /* file systems round times */
  CHECK_U64(st.atim, atim);
  EXPECT(__wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW), E(INVAL));
  EXPECT(__wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FSTFLAGS_MTIM | __WASI_FSTFLAGS_MTIM_NOW), E(INVAL));

  /* APPEND through fd_fdstat_set_flags: writes go to the end whatever the offset. */
  OK(__wasi_fd_filestat_set_size(fd, 3));
  OK(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_APPEND));
  __wasi_fdstat_t fs;
  OK(__wasi_fd_fdstat_get(fd, &fs));
  CHECK_U64(fs.fs_flags, __WASI_FDFLAGS_APPEND);
  OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  OK(write_full(fd, "Z", 1));
  OK(pread_full(fd, buf, sizeof buf, 0, &n));
  CHECK_STR(buf, n, "HELZ");
  OK(__wasi_fd_fdstat_set_flags(fd, 0));
  OK(__wasi_fd_fdstat_get(fd, &fs));
  CHECK_U64(fs.fs_flags, 0);
  OK(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos));
  OK(write_full(fd, "h", 1));
  OK(pread_full(fd, buf, sizeof buf, 0, &n));
  CHECK_STR(buf, n, "hELZ");
  OK(__wasi_fd_fdstat_set_flags(fd, __WASI_FDFLAGS_NONBLOCK));
  OK(__wasi_fd_fdstat_get(fd, &fs));
  CHECK_U64(fs.fs_flags, __WASI_FDFLAGS_NONBLOCK);
  OK(__wasi_fd_fdstat_set_flags(fd, 0));

  /* fd_fdstat_set_rights may only drop rights; runtimes without rights say ENOTSUP (wasmtime). */
  e = __wasi_fd_fdstat_set_rights(fd, R_FILE_ALL & ~R_WRITE, 0);
  EXPECT(e, 0, E(NOTSUP));
  if (e == 0) {
    OK(__wasi_fd_fdstat_get(fd, &fs));
    CHECK((fs.fs_rights_base & R_WRITE) == 0);
    CHECK((fs.fs_rights_base & R_READ) != 0);
    EXPECT(write_all(fd, "x", 1, &n), E(BADF), E(NOTCAPABLE));
    OK(pread_full(fd, buf, 4, 0, &n));
    EXPECT(__wasi_fd_fdstat_set_rights(fd, R_FILE_ALL, 0), E(NOTCAPABLE));
  }

  /* fd_renumber: `to` must be open; `from` is closed afterwards. */
  int64_t r2 = open_at(dir, 0, "hello.txt", 0, R_READ | __WASI_RIGHTS_FD_SEEK, 0);
  MUST(open_errno(r2));
  __wasi_fd_t fd2 = (__wasi_fd_t)r2;
  OK(__wasi_fd_renumber(fd2, fd2)); /* renumbering onto itself changes nothing */
  OK(read_some(fd2, buf, 5, &n));
  CHECK_STR(buf, n, "Hello");
  OK(__wasi_fd_renumber(fd2, fd));
  OK(read_some(fd, buf, 6, &n)); /* same open file description: the offset moved along */
  CHECK_STR(buf, n, " from ");
  EXPECT(read_some(fd2, buf, 1, &n), E(BADF));
  EXPECT(__wasi_fd_renumber(fd2, fd), E(BADF));  /* from is closed */
  EXPECT(__wasi_fd_renumber(fd, 200), E(BADF));  /* to is not open: no dup2 in WASI */
  OK(read_some(fd, buf, 3, &n));                  /* ... and fd is still there */
  CHECK_STR(buf, n, "the");
  OK(__wasi_fd_close(fd));
}

static void directories_and_stdio(__wasi_fd_t dir) {
  size_t n;
  char buf[64];
  __wasi_filesize_t pos;
  __wasi_filestat_t st;
  __wasi_fdstat_t fs;

  int64_t r = open_at(dir, 0, "sub", __WASI_OFLAGS_DIRECTORY, R_DIR_ALL, 0);
  MUST(open_errno(r));
  __wasi_fd_t sub = (__wasi_fd_t)r;
  EXPECT(read_some(sub, buf, sizeof buf, &n), E(ISDIR), E(BADF), E(NOTCAPABLE));
  EXPECT(write_all(sub, "x", 1, &n), E(ISDIR), E(BADF), E(NOTCAPABLE));
  EXPECT(__wasi_fd_filestat_set_size(sub, 0), E(ISDIR), E(BADF), E(INVAL), E(NOTCAPABLE));
  OK(__wasi_fd_filestat_get(sub, &st));
  CHECK_U64(st.filetype, __WASI_FILETYPE_DIRECTORY);
  OK(__wasi_fd_fdstat_get(sub, &fs));
  CHECK_U64(fs.fs_filetype, __WASI_FILETYPE_DIRECTORY);
  CHECK_U64(fs.fs_flags, 0);
  OK(__wasi_fd_filestat_set_times(sub, 7 * NS, 8 * NS, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM));
  OK(__wasi_fd_filestat_get(sub, &st));
  CHECK_U64(st.mtim, 8 * NS);
  EXPECT(__wasi_fd_prestat_get(sub, &(__wasi_prestat_t){0}), E(BADF)); /* opened, not preopened */
  OK(__wasi_fd_close(sub));

  /* The preopen itself. */
  __wasi_prestat_t ps;
  OK(__wasi_fd_prestat_get(dir, &ps));
  CHECK_U64(ps.tag, __WASI_PREOPENTYPE_DIR);
  CHECK_U64(ps.u.dir.pr_name_len, 8);
  OK(__wasi_fd_prestat_dir_name(dir, (uint8_t *)buf, 8));
  CHECK_STR(buf, 8, "/sandbox");
  EXPECT(__wasi_fd_prestat_dir_name(dir, (uint8_t *)buf, 3), E(NAMETOOLONG), E(INVAL));
  OK(__wasi_fd_fdstat_get(dir, &fs));
  CHECK_U64(fs.fs_filetype, __WASI_FILETYPE_DIRECTORY);
  CHECK_U64(fs.fs_flags, 0);
  CHECK(fs.fs_rights_base & __WASI_RIGHTS_PATH_OPEN);

  /* stdio are pipes here: not seekable. ESPIPE (wasmtime), or ENOTCAPABLE from a runtime that
     checks rights first: stdio fds carry no FD_SEEK/FD_TELL right. */
  for (__wasi_fd_t fd = 0; fd <= 2; fd++) {
    EXPECT(__wasi_fd_seek(fd, 0, __WASI_WHENCE_CUR, &pos), E(SPIPE), E(NOTCAPABLE));
    EXPECT(__wasi_fd_tell(fd, &pos), E(SPIPE), E(NOTCAPABLE));
    OK(__wasi_fd_fdstat_get(fd, &fs));
    CHECK(fs.fs_filetype != __WASI_FILETYPE_DIRECTORY && fs.fs_filetype != __WASI_FILETYPE_REGULAR_FILE);
    OK(__wasi_fd_filestat_get(fd, &st));
    EXPECT(__wasi_fd_prestat_get(fd, &ps), E(BADF));
  }
  __wasi_iovec_t iov = {(uint8_t *)buf, 4};
  EXPECT(__wasi_fd_pread(0, &iov, 1, 0, &n), E(SPIPE), E(NOTCAPABLE));
  __wasi_ciovec_t civ = {(const uint8_t *)"x", 1};
  EXPECT(__wasi_fd_pwrite(1, &civ, 1, 0, &n), E(SPIPE), E(NOTCAPABLE));
  /* Reading stdout or writing stdin is refused, whatever the host's descriptors allow (a child's
     stdio made by Node.js are sockets, readable both ways: a runtime that passes the call on
     blocks here). */
  EXPECT(read_some(1, buf, 1, &n), E(BADF), E(NOTCAPABLE));
  EXPECT(write_all(0, "x", 1, &n), E(BADF), E(NOTCAPABLE));
}

static void closed_fds(void) {
  const __wasi_fd_t bad[] = {77, 1000, 0x7fffffff, 0xffffffff};
  char buf[64];
  size_t n;
  __wasi_filesize_t pos;
  __wasi_filestat_t st;
  __wasi_fdstat_t fs;
  __wasi_prestat_t ps;
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  __wasi_ciovec_t civ = {(const uint8_t *)"x", 1};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    __wasi_fd_t fd = bad[i];
    EXPECT(__wasi_fd_read(fd, &iov, 1, &n), E(BADF));
    EXPECT(__wasi_fd_write(fd, &civ, 1, &n), E(BADF));
    EXPECT(__wasi_fd_pread(fd, &iov, 1, 0, &n), E(BADF));
    EXPECT(__wasi_fd_pwrite(fd, &civ, 1, 0, &n), E(BADF));
    EXPECT(__wasi_fd_seek(fd, 0, __WASI_WHENCE_SET, &pos), E(BADF));
    EXPECT(__wasi_fd_tell(fd, &pos), E(BADF));
    EXPECT(__wasi_fd_close(fd), E(BADF));
    EXPECT(__wasi_fd_advise(fd, 0, 0, __WASI_ADVICE_NORMAL), E(BADF));
    EXPECT(__wasi_fd_allocate(fd, 0, 1), E(BADF));
    EXPECT(__wasi_fd_datasync(fd), E(BADF));
    EXPECT(__wasi_fd_sync(fd), E(BADF));
    EXPECT(__wasi_fd_fdstat_get(fd, &fs), E(BADF));
    EXPECT(__wasi_fd_fdstat_set_flags(fd, 0), E(BADF));
    EXPECT(__wasi_fd_fdstat_set_rights(fd, 0, 0), E(BADF));
    EXPECT(__wasi_fd_filestat_get(fd, &st), E(BADF));
    EXPECT(__wasi_fd_filestat_set_size(fd, 0), E(BADF));
    EXPECT(__wasi_fd_filestat_set_times(fd, 0, 0, 0), E(BADF));
    EXPECT(__wasi_fd_prestat_get(fd, &ps), E(BADF));
    EXPECT(__wasi_fd_prestat_dir_name(fd, (uint8_t *)buf, sizeof buf), E(BADF));
    EXPECT(__wasi_fd_readdir(fd, (uint8_t *)buf, sizeof buf, 0, &n), E(BADF));
    EXPECT(__wasi_fd_renumber(fd, 1), E(BADF));
  }
}

int main(void) {
  __wasi_fd_t dir = preopen("/sandbox");
  read_seek_tell(dir);
  write_and_resize(dir);
  directories_and_stdio(dir);
  closed_fds();

  /* A preopen can be closed like any fd; then it is gone. */
  OK(__wasi_fd_close(dir));
  EXPECT(__wasi_fd_prestat_get(dir, &(__wasi_prestat_t){0}), E(BADF));
  EXPECT(open_errno(open_at(dir, 0, "hello.txt", 0, R_READ, 0)), E(BADF));
  return finish();
}
