/*
 * An echo server for a keep's pre-opened listening socket: fd 3, or the number in env LISTEN_FD.
 * One thread, non-blocking sockets, one net_poll() (= poll()) loop over the listener and up to
 * 4096 connections (more are accepted and closed at once, and not counted).
 *
 * Each connection has its own 64 KiB ring buffer: the server reads from a connection only while
 * its buffer has room and writes back when the connection takes it, so a client that sends but
 * never reads fills its own buffer and stalls nobody else. When a client shuts down its sending
 * side (read returns 0), what is buffered is sent, then the server shuts down its own sending
 * side and closes. A read or write error (a reset) closes that connection only.
 *
 * Env EXIT_AFTER=N: once N connections have been closed, prints
 *   echo: N connections, B bytes
 * (B = bytes echoed over all connections) to stdout and exits 0. Without it the server runs until
 * killed. Fatal errors go to stderr with exit 1.
 *
 * Calls: fcntl(F_GETFL/F_SETFL O_NONBLOCK) on the listener and fcntl(F_SETFL O_NONBLOCK) on each
 * accepted socket (fd_fdstat_get/fd_fdstat_set_flags), accept (sock_accept without flags),
 * readv/writev with two iovecs (fd_read/fd_write on a socket), shutdown(SHUT_WR) (sock_shutdown),
 * poll_oneoff through net_poll. Natively, see net_native.h (NATIVE_LISTEN=PORT).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net_native.h"

#define MAX_CONNS 4096
#define BUF_CAP (64 * 1024)

struct conn {
  int fd;
  int dead;
  int eof;              /* the client shut down its sending side */
  size_t head, count;   /* buffered bytes: count of them from buf[head], wrapping at BUF_CAP */
  unsigned char buf[BUF_CAP];
};

static struct conn *active[MAX_CONNS];
static size_t n_active;
static struct pollfd pfds[MAX_CONNS + 1];
static struct conn *pconn[MAX_CONNS + 1];
static uint64_t n_closed, n_bytes, exit_after;

static void fatal(const char *what) {
  fprintf(stderr, "net_echo: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

static void close_conn(struct conn *c) {
  close(c->fd);
  c->dead = 1;
  if (++n_closed == exit_after) {
    printf("echo: %llu connections, %llu bytes\n", (unsigned long long)n_closed, (unsigned long long)n_bytes);
    exit(0);
  }
}

/* Reads into the free part of the ring: 0 on success or EAGAIN, -1 on an error. */
static int fill(struct conn *c) {
  if (c->count == 0) c->head = 0;
  size_t tail = (c->head + c->count) % BUF_CAP;
  struct iovec iov[2];
  int n_iov = 1;
  iov[0].iov_base = c->buf + tail;
  if (tail >= c->head && c->count < BUF_CAP) { /* free space runs to the end, then from 0 to head */
    iov[0].iov_len = BUF_CAP - tail;
    iov[1].iov_base = c->buf;
    iov[1].iov_len = c->head;
    n_iov = c->head ? 2 : 1;
  } else {
    iov[0].iov_len = c->head - tail;
  }
  ssize_t n = readv(c->fd, iov, n_iov);
  if (n > 0) c->count += (size_t)n;
  if (n == 0) c->eof = 1;
  return n < 0 && !would_block(errno) ? -1 : 0;
}

/* Writes from the ring: 0 on success or EAGAIN, -1 on an error. */
static int drain(struct conn *c) {
  size_t first = BUF_CAP - c->head < c->count ? BUF_CAP - c->head : c->count;
  struct iovec iov[2] = {{c->buf + c->head, first}, {c->buf, c->count - first}};
  ssize_t n = writev(c->fd, iov, c->count > first ? 2 : 1);
  if (n < 0) return would_block(errno) ? 0 : -1;
  c->head = (c->head + (size_t)n) % BUF_CAP;
  c->count -= (size_t)n;
  n_bytes += (uint64_t)n;
  return 0;
}

static void handle(struct conn *c, short revents) {
  if ((revents & (POLLIN | POLLHUP | POLLERR)) && !c->eof && c->count < BUF_CAP && fill(c) < 0) {
    close_conn(c);
    return;
  }
  if (c->count > 0 && drain(c) < 0) {
    close_conn(c);
    return;
  }
  if (c->eof && c->count == 0) {
    shutdown(c->fd, SHUT_WR); /* fails ENOTCONN if the client is gone already: closing anyway */
    close_conn(c);
  }
}

static short wanted(const struct conn *c) {
  return (short)((!c->eof && c->count < BUF_CAP ? POLLIN : 0) | (c->count > 0 ? POLLOUT : 0));
}

static void accept_all(int lfd) {
  for (;;) {
    struct sockaddr_storage sa; /* wasi-libc's accept writes here unconditionally */
    socklen_t len = sizeof sa;
    int fd = accept(lfd, (struct sockaddr *)&sa, &len);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (would_block(errno) || errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) return;
      fatal("accept");
    }
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) { /* a blocking connection would stall the others */
      fprintf(stderr, "net_echo: fcntl(F_SETFL, O_NONBLOCK) on accepted fd %d: %s\n", fd, strerror(errno));
      close(fd);
      continue;
    }
    struct conn *c = n_active < MAX_CONNS ? malloc(sizeof *c) : NULL;
    if (!c) { /* over the limit (or out of memory): refuse */
      close(fd);
      continue;
    }
    c->fd = fd;
    c->dead = c->eof = 0;
    c->head = c->count = 0;
    active[n_active++] = c;
  }
}

/* A decimal number up to `max`, or -1. */
static long long parse_num(const char *s, long long max) {
  long long v = 0;
  if (*s == '\0') return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    v = v * 10 + (*s - '0');
    if (v > max) return -1;
  }
  return v;
}

int main(void) {
  net_native_init();
  const char *env = getenv("LISTEN_FD");
  long long lfd = env ? parse_num(env, 1 << 20) : 3;
  if (lfd < 0) {
    fprintf(stderr, "net_echo: LISTEN_FD=%s: not a descriptor number\n", env);
    return 1;
  }
  env = getenv("EXIT_AFTER");
  if (env) {
    long long n = parse_num(env, 1LL << 62);
    if (n <= 0) {
      fprintf(stderr, "net_echo: EXIT_AFTER=%s: not a positive number\n", env);
      return 1;
    }
    exit_after = (uint64_t)n;
  }
  char what[32];
  snprintf(what, sizeof what, "fd %lld", lfd);
  int fl = fcntl((int)lfd, F_GETFL);
  if (fl < 0 || fcntl((int)lfd, F_SETFL, fl | O_NONBLOCK) < 0) fatal(what);

  for (;;) {
    size_t n = 0;
    pfds[n] = (struct pollfd){.fd = (int)lfd, .events = POLLIN};
    pconn[n++] = NULL;
    for (size_t i = 0; i < n_active; i++) {
      pfds[n] = (struct pollfd){.fd = active[i]->fd, .events = wanted(active[i])};
      pconn[n++] = active[i];
    }
    if (net_poll(pfds, n, -1) < 0) {
      if (errno == EINTR) continue;
      fatal("poll");
    }
    for (size_t i = 1; i < n; i++)
      if (pfds[i].revents) handle(pconn[i], pfds[i].revents);
    if (pfds[0].revents & POLLNVAL) {
      errno = EBADF;
      fatal(what);
    }
    if (pfds[0].revents) accept_all((int)lfd);
    size_t kept = 0;
    for (size_t i = 0; i < n_active; i++) {
      if (active[i]->dead)
        free(active[i]);
      else
        active[kept++] = active[i];
    }
    n_active = kept;
  }
}
