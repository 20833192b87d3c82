// Syscall throughput: fd_write (64-byte writes to stdout), fd_read (4 KiB reads of a file,
// rewinding at EOF), path_open+fd_close, and stat of a file three folders down (each call walks
// the path again), each for a fixed count, timed inside the program.
// Prints `<name> ns_per_op=<n>` lines on stderr. Needs a preopened directory at /work holding
// a file `data.bin` and a file `a/b/c/deep.bin`.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
  char buf[4096];
  memset(buf, 'x', sizeof buf);
  const int writes = 200000, reads = 200000, opens = 50000;

  long long t0 = now_ns();
  for (int i = 0; i < writes; i++) if (write(1, buf, 64) != 64) return 1;
  long long t1 = now_ns();
  fprintf(stderr, "fd_write ns_per_op=%lld\n", (t1 - t0) / writes);

  int fd = open("/work/data.bin", O_RDONLY);
  if (fd < 0) return 2;
  t0 = now_ns();
  for (int i = 0; i < reads; i++) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) lseek(fd, 0, SEEK_SET);
  }
  t1 = now_ns();
  close(fd);
  fprintf(stderr, "fd_read ns_per_op=%lld\n", (t1 - t0) / reads);

  t0 = now_ns();
  for (int i = 0; i < opens; i++) {
    int f = open("/work/data.bin", O_RDONLY);
    if (f < 0) return 3;
    close(f);
  }
  t1 = now_ns();
  fprintf(stderr, "path_open+fd_close ns_per_op=%lld\n", (t1 - t0) / opens);

  struct stat st;
  t0 = now_ns();
  for (int i = 0; i < opens; i++) {
    if (stat("/work/a/b/c/deep.bin", &st) != 0 || st.st_size != 64) return 4;
  }
  t1 = now_ns();
  fprintf(stderr, "path_filestat_get(a/b/c/deep.bin) ns_per_op=%lld\n", (t1 - t0) / opens);
  return 0;
}
