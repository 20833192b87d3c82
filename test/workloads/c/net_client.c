/*
 * A client over a keep's pre-opened connected sockets: `net_client [FD...]` (default: fd 3).
 * Reads all of stdin, then for each FD in order: sends all of those bytes (send, continuing after
 * partial sends), shuts down its sending side (shutdown SHUT_WR), and copies everything the peer
 * sends back, until end of file, to stdout.
 *
 * The sockets are used as they come (blocking in a keep); if one is non-blocking, EAGAIN waits in
 * poll() for it. All of stdin is sent before anything is read, so against an echo server the
 * input must fit in what the connection and the server buffer (for net_echo: its 64 KiB plus the
 * socket buffers), or both sides wait on each other.
 *
 * Exit 0 on success. Any error prints "net_client: fd N: <strerror>" (or "stdin: ..." /
 * "stdout: ...") to stderr and exits 1; a bad argument exits 2.
 *
 * Calls: read/write on stdio (fd_read/fd_write), send/recv (sock_send/sock_recv), shutdown
 * (sock_shutdown), close, and poll (poll_oneoff) only on EAGAIN. Natively, see net_native.h
 * (NATIVE_CONNECT=HOST:PORT[,HOST:PORT...]).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_native.h"

static void fail(const char *what, int fd) {
  if (fd >= 0)
    fprintf(stderr, "net_client: fd %d: %s\n", fd, strerror(errno));
  else
    fprintf(stderr, "net_client: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Waits until fd is ready for `events`, after an EAGAIN. */
static void wait_for(int fd, short events) {
  struct pollfd p = {.fd = fd, .events = events};
  while (poll(&p, 1, -1) < 0)
    if (errno != EINTR) fail("poll", fd);
}

static void write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait_for(fd, POLLOUT);
        continue;
      }
      fail("stdout", -1);
    }
    p += w;
    n -= (size_t)w;
  }
}

static void exchange(int fd, const char *data, size_t len) {
  static char buf[64 * 1024];
  for (size_t off = 0; off < len;) {
    ssize_t n = send(fd, data + off, len - off, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) fail(NULL, fd);
      wait_for(fd, POLLOUT);
      continue;
    }
    off += (size_t)n;
  }
  if (shutdown(fd, SHUT_WR) < 0) fail(NULL, fd);
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) fail(NULL, fd);
      wait_for(fd, POLLIN);
      continue;
    }
    write_all(1, buf, (size_t)n);
  }
  if (close(fd) < 0) fail(NULL, fd);
}

/* A descriptor number in decimal, or -1. */
static int parse_fd(const char *s) {
  int v = 0;
  if (*s == '\0') return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 1000000) return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (parse_fd(argv[i]) < 0) {
      fprintf(stderr, "net_client: %s: not a descriptor number (usage: net_client [FD...])\n", argv[i]);
      return 2;
    }
  }
  net_native_init();

  size_t len = 0, cap = 64 * 1024;
  char *data = malloc(cap);
  for (;;) {
    if (!data) fail("stdin", -1);
    if (len == cap) {
      char *more = realloc(data, cap *= 2);
      if (!more) fail("stdin", -1);
      data = more;
    }
    ssize_t n = read(0, data + len, cap - len);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("stdin", -1);
    }
    len += (size_t)n;
  }

  if (argc < 2) exchange(3, data, len);
  for (int i = 1; i < argc; i++) exchange(parse_fd(argv[i]), data, len);
  free(data);
  return 0;
}
