/*
 * Everyday file code through plain libc (wasi-libc maps absolute paths onto the preopens):
 * fopen/fgets/fprintf, mkdir, stat, rename, opendir/readdir, unlink, rmdir, lseek/ftruncate,
 * chdir and relative paths, and strerror texts of the common failures.
 *
 * Needs the `tree` fixture preopened as /sandbox. Leaves /sandbox/result.txt = "done\n" and
 * removes everything else it made.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void fail(const char *what) {
  printf("FAIL %s: %s\n", what, strerror(errno));
  exit(1);
}

int main(void) {
  char line[128];
  FILE *f = fopen("/sandbox/lines.txt", "r");
  if (!f) fail("fopen lines.txt");
  for (int n = 1; fgets(line, sizeof line, f); n++) printf("%d: %s", n, line);
  fclose(f);

  if (mkdir("/sandbox/made", 0755) != 0) fail("mkdir");
  f = fopen("/sandbox/made/note.txt", "w");
  if (!f) fail("fopen note.txt");
  int bytes = fprintf(f, "first line\n") + fprintf(f, "second line, %d\n", 42);
  if (fclose(f) != 0) fail("fclose");
  printf("note: written 2 lines, %d bytes\n", bytes);

  struct stat st;
  if (stat("/sandbox/made/note.txt", &st) != 0) fail("stat");
  printf("note.txt: regular=%d size=%lld\n", S_ISREG(st.st_mode) ? 1 : 0, (long long)st.st_size);
  if (stat("/sandbox/made", &st) != 0) fail("stat dir");
  printf("made: directory=%d\n", S_ISDIR(st.st_mode) ? 1 : 0);

  /* lseek + write + ftruncate on a descriptor. */
  int fd = open("/sandbox/made/note.txt", O_RDWR);
  if (fd < 0) fail("open");
  if (lseek(fd, 6, SEEK_SET) != 6 || write(fd, "LINE", 4) != 4) fail("lseek/write");
  if (ftruncate(fd, 15) != 0) fail("ftruncate");
  if (lseek(fd, 0, SEEK_SET) != 0) fail("lseek");
  ssize_t got = read(fd, line, sizeof line - 1);
  if (got < 0) fail("read");
  line[got] = 0;
  for (char *p = line; *p; p++)
    if (*p == '\n') *p = '|';
  printf("after ftruncate: %s\n", line);
  close(fd);

  if (rename("/sandbox/made/note.txt", "/sandbox/made/renamed.txt") != 0) fail("rename");
  for (const char *const *p = (const char *const[]){"/sandbox/made/b.txt", "/sandbox/made/a.txt", NULL}; *p; p++) {
    FILE *g = fopen(*p, "w");
    if (!g || fclose(g) != 0) fail("create");
  }
  DIR *d = opendir("/sandbox/made");
  if (!d) fail("opendir");
  char *names[16];
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) && count < 16)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[count++] = strdup(e->d_name);
  closedir(d);
  qsort(names, count, sizeof names[0], cmp);
  printf("listing of /sandbox/made:");
  for (int i = 0; i < count; i++) printf(" %s", names[i]);
  printf("\n");

  errno = 0;
  printf("fopen missing: %s\n", fopen("/sandbox/missing.txt", "r") ? "opened?!" : strerror(errno));
  printf("mkdir existing: %s\n", mkdir("/sandbox/made", 0755) == 0 ? "made?!" : strerror(errno));
  printf("rmdir non-empty: %s\n", rmdir("/sandbox/made") == 0 ? "removed?!" : strerror(errno));
  printf("open a directory for writing: %s\n",
         open("/sandbox/made", O_WRONLY) >= 0 ? "opened?!" : strerror(errno));

  for (int i = 0; i < count; i++) {
    char path[64];
    snprintf(path, sizeof path, "/sandbox/made/%s", names[i]);
    if (unlink(path) != 0) fail("unlink");
    free(names[i]);
  }
  if (rmdir("/sandbox/made") != 0) fail("rmdir");
  printf("made removed: %s\n", stat("/sandbox/made", &st) != 0 && errno == ENOENT ? "yes" : "no");

  /* Relative paths resolve against the current directory. */
  if (chdir("/sandbox/sub") != 0) fail("chdir");
  f = fopen("../hello.txt", "r");
  if (!f || !fgets(line, sizeof line, f)) fail("relative fopen");
  fclose(f);
  printf("relative read: %s", line);
  f = fopen("deeper/c.txt", "r");
  if (!f || !fgets(line, sizeof line, f)) fail("relative fopen 2");
  fclose(f);
  printf("relative read: %s", line);

  f = fopen("/sandbox/result.txt", "w");
  if (!f || fputs("done\n", f) < 0 || fclose(f) != 0) fail("result");
  printf("done\n");
  return 0;
}
