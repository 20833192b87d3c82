/*
 * File names are bytes, not text: names that are not UTF-8 (Latin-1 "caf\xe9", a lone 0xff) and
 * a symlink whose target is not UTF-8 are created, listed by readdir with their exact bytes,
 * read back with readlink, and removed by the very names readdir gave; then the directory is
 * empty and rmdir succeeds. This is what a recursive delete does (CPython's shutil.rmtree: list,
 * remove each listed name, remove the directory), and it must never leave a file behind.
 *
 * Needs the `tree` fixture preopened as /sandbox. Works in /sandbox/names.
 */
#define PROGRAM "names"
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_PATH "/sandbox/names"
#define MAX_NAMES 8

/* The names made, NUL-terminated byte strings. */
static const char *const FILES[] = {"caf\xe9", "\xff", "caf\xc3\xa9", "plain"};
#define N_FILES (sizeof FILES / sizeof FILES[0])
static const char LINK[] = "l\xfe";
static const char TARGET[] = "t\xfd/\xfb";

static int expected(const char *name) {
  if (strcmp(name, LINK) == 0) return 1;
  for (size_t i = 0; i < N_FILES; i++)
    if (strcmp(name, FILES[i]) == 0) return 1;
  return 0;
}

int main(void) {
  char path[256];
  if (mkdir(DIR_PATH, 0755) != 0) {
    printf("FATAL mkdir: %s\n", strerror(errno));
    return 2;
  }
  for (size_t i = 0; i < N_FILES; i++) {
    snprintf(path, sizeof path, DIR_PATH "/%s", FILES[i]);
    int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0644);
    if (!CHECK(fd >= 0)) continue;
    CHECK(write(fd, FILES[i], strlen(FILES[i])) == (ssize_t)strlen(FILES[i]));
    CHECK(close(fd) == 0);
  }
  snprintf(path, sizeof path, DIR_PATH "/%s", LINK);
  CHECK(symlink(TARGET, path) == 0);

  /* readlink gives the target's bytes. */
  char target[64];
  ssize_t n = readlink(path, target, sizeof target);
  CHECK_STR(target, n < 0 ? 0 : n, TARGET);

  /* Each file is reached by its name and holds that name. */
  for (size_t i = 0; i < N_FILES; i++) {
    char buf[32];
    snprintf(path, sizeof path, DIR_PATH "/%s", FILES[i]);
    int fd = open(path, O_RDONLY);
    if (!CHECK(fd >= 0)) continue;
    ssize_t got = read(fd, buf, sizeof buf);
    CHECK_STR(buf, got < 0 ? 0 : got, FILES[i]);
    close(fd);
  }

  /* readdir lists every name with its exact bytes. */
  char names[MAX_NAMES][32];
  int count = 0;
  DIR *d = opendir(DIR_PATH);
  if (!CHECK(d != NULL)) return finish();
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    CHECK(expected(e->d_name));
    if (count < MAX_NAMES && strlen(e->d_name) < sizeof names[0]) strcpy(names[count++], e->d_name);
  }
  closedir(d);
  CHECK_U64(count, N_FILES + 1);

  /* Removing each name readdir gave removes it; then the directory can go. */
  for (int i = 0; i < count; i++) {
    snprintf(path, sizeof path, DIR_PATH "/%s", names[i]);
    CHECK(unlink(path) == 0);
  }
  CHECK(rmdir(DIR_PATH) == 0);
  struct stat st;
  CHECK(stat(DIR_PATH, &st) != 0 && errno == ENOENT);
  return finish();
}
