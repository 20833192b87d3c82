/*
 * fd_readdir: the `.` and `..` entries, d_type and d_ino of every entry, resuming from each
 * entry's d_next cookie, buffers too small for one entry (the runtime fills the buffer and the
 * caller must retry with a larger one), and the errors.
 *
 * Needs the `tree` fixture preopened as /sandbox. Works in /sandbox/rd.
 */
#define PROGRAM "readdir"
#include "check.h"

#define MAX_ENTRIES 16
#define DIRENT_SIZE sizeof(__wasi_dirent_t) /* 24: d_next u64, d_ino u64, d_namlen u32, d_type u8 */

struct entry {
  char name[64];
  __wasi_dircookie_t next;
  __wasi_inode_t ino;
  __wasi_filetype_t type;
};

struct listing {
  struct entry e[MAX_ENTRIES];
  int n;
};

/*
 * Reads the whole directory starting at `cookie` with buffers of `bufsize` bytes, the way
 * wasi-libc's readdir does: an entry cut off at the end of a full buffer is read again from its
 * cookie; when not even one entry fits, the buffer grows. Returns the errno.
 */
static int list(__wasi_fd_t fd, __wasi_dircookie_t cookie, size_t bufsize, struct listing *out) {
  static uint8_t buf[4096];
  out->n = 0;
  for (int rounds = 0; rounds < 1000; rounds++) {
    size_t used;
    int e = __wasi_fd_readdir(fd, buf, bufsize, cookie, &used);
    if (e) return e;
    if (used > bufsize) return -1;
    size_t off = 0;
    int complete = 0;
    while (off + DIRENT_SIZE <= used) {
      __wasi_dirent_t d;
      memcpy(&d, buf + off, DIRENT_SIZE);
      if (off + DIRENT_SIZE + d.d_namlen > used) break; /* name cut off */
      if (out->n == MAX_ENTRIES || d.d_namlen >= sizeof out->e[0].name) return -2;
      struct entry *en = &out->e[out->n++];
      memcpy(en->name, buf + off + DIRENT_SIZE, d.d_namlen);
      en->name[d.d_namlen] = 0;
      en->next = d.d_next;
      en->ino = d.d_ino;
      en->type = d.d_type;
      cookie = d.d_next;
      off += DIRENT_SIZE + d.d_namlen;
      complete++;
    }
    if (used < bufsize) return off == used ? 0 : -3; /* a short read ends the directory */
    if (complete == 0) {
      if (bufsize >= sizeof buf) return -4;
      bufsize *= 2; /* not even one entry fit: grow */
    }
  }
  return -5;
}

static int find(const struct listing *l, const char *name) {
  for (int i = 0; i < l->n; i++)
    if (strcmp(l->e[i].name, name) == 0) return i;
  return -1;
}

static int same(const struct listing *a, int from, const struct listing *b) {
  if (a->n - from != b->n) return 0;
  for (int i = 0; i < b->n; i++)
    if (strcmp(a->e[from + i].name, b->e[i].name) != 0 || a->e[from + i].next != b->e[i].next) return 0;
  return 1;
}

static void make_file(__wasi_fd_t dir, const char *path) {
  int64_t r = open_at(dir, 0, path, __WASI_OFLAGS_CREAT, R_FILE_ALL, 0);
  MUST(open_errno(r));
  CLOSE((__wasi_fd_t)r);
}

int main(void) {
  __wasi_fd_t sandbox = preopen("/sandbox");
  struct listing full, part;
  __wasi_filestat_t st;

  MUST(__wasi_path_create_directory(sandbox, "rd"));
  int64_t r = open_at(sandbox, 0, "rd", __WASI_OFLAGS_DIRECTORY, R_DIR_ALL, 0);
  MUST(open_errno(r));
  __wasi_fd_t rd = (__wasi_fd_t)r;

  /* An empty directory holds `.` and `..` only. */
  OK(list(rd, 0, 4096, &full));
  CHECK_U64(full.n, 2);
  CHECK(find(&full, ".") >= 0 && find(&full, "..") >= 0);

  static const char long_name[] = "gamma-with-a-rather-long-name-that-will-not-fit.txt";
  make_file(rd, "alpha");
  MUST(__wasi_path_create_directory(rd, "beta"));
  make_file(rd, long_name);
  MUST(__wasi_path_symlink("alpha", rd, "link"));

  OK(list(rd, 0, 4096, &full));
  CHECK_U64(full.n, 6);
  static const struct {
    const char *name;
    __wasi_filetype_t type;
  } want[] = {{".", __WASI_FILETYPE_DIRECTORY},      {"..", __WASI_FILETYPE_DIRECTORY},
              {"alpha", __WASI_FILETYPE_REGULAR_FILE}, {"beta", __WASI_FILETYPE_DIRECTORY},
              {long_name, __WASI_FILETYPE_REGULAR_FILE}, {"link", __WASI_FILETYPE_SYMBOLIC_LINK}};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
    int k = find(&full, want[i].name);
    if (!CHECK(k >= 0)) {
      printf("  missing entry %s\n", want[i].name);
      continue;
    }
    CHECK_U64(full.e[k].type, want[i].type);
    if (i >= 2) { /* d_ino is the inode path_filestat_get reports */
      OK(__wasi_path_filestat_get(rd, 0, want[i].name, &st));
      CHECK_U64(full.e[k].ino, st.ino);
    }
  }

  /* Resuming from every entry's d_next yields exactly the entries after it, in the same order. */
  for (int i = 0; i < full.n; i++) {
    OK(list(rd, full.e[i].next, 4096, &part));
    CHECK(same(&full, i + 1, &part));
  }
  /* Starting over from cookie 0 gives the same listing. */
  OK(list(rd, 0, 4096, &part));
  CHECK(same(&full, 0, &part));

  /* Buffers that cut entries: the runtime fills the buffer completely, the caller retries. */
  static const size_t sizes[] = {1, 10, DIRENT_SIZE, DIRENT_SIZE + 1, 32, 48, 64, 100};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    int e = list(rd, 0, sizes[i], &part);
    EXPECT(e, 0);
    if (!CHECK(e == 0 && same(&full, 0, &part))) printf("  with a %zu-byte buffer\n", sizes[i]);
  }
  /* A buffer that holds a header and half a name: bufused == buf_len, the bytes are a prefix. */
  int k = find(&full, long_name);
  if (k > 0) {
    uint8_t small[DIRENT_SIZE + 5];
    size_t used;
    OK(__wasi_fd_readdir(rd, small, sizeof small, full.e[k - 1].next, &used));
    CHECK_U64(used, sizeof small);
    __wasi_dirent_t d;
    memcpy(&d, small, DIRENT_SIZE);
    CHECK_U64(d.d_namlen, strlen(long_name));
    CHECK_U64(d.d_next, full.e[k].next);
    CHECK(memcmp(small + DIRENT_SIZE, long_name, 5) == 0);
  }

  /* Past the end: nothing. */
  size_t used = 1;
  uint8_t buf[256];
  OK(__wasi_fd_readdir(rd, buf, sizeof buf, full.e[full.n - 1].next, &used));
  CHECK_U64(used, 0);

  /* The preopened fixture root. */
  OK(list(sandbox, 0, 4096, &full));
  static const char *const root[] = {".", "..", "hello.txt", "lines.txt", "numbers.txt", "sub", "rd"};
  CHECK_U64(full.n, sizeof root / sizeof root[0]);
  for (size_t i = 0; i < sizeof root / sizeof root[0]; i++) CHECK(find(&full, root[i]) >= 0);

  /* Errors: a file, a closed fd. */
  r = open_at(rd, 0, "alpha", 0, R_READ, 0);
  MUST(open_errno(r));
  EXPECT(__wasi_fd_readdir((__wasi_fd_t)r, buf, sizeof buf, 0, &used), E(NOTDIR), E(BADF), E(NOTCAPABLE));
  CLOSE((__wasi_fd_t)r);
  EXPECT(__wasi_fd_readdir((__wasi_fd_t)r, buf, sizeof buf, 0, &used), E(BADF));
  CLOSE(rd);
  return finish();
}
