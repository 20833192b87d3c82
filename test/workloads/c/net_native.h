/*
 * What the socket workloads (net_http, net_echo, net_client) need besides plain POSIX, so that
 * the same C program runs in a keep and, for benchmarks, natively on Linux.
 *
 * In a keep the sockets come pre-opened: a `listen` socket is a listening descriptor at fd 3 (or
 * LISTEN_FD), a `connect` socket a connected one; WASI has no socket/bind/listen/connect.
 * net_native_init() makes a native process look the same, from its environment:
 *   NATIVE_LISTEN=PORT                 a TCP socket bound to 127.0.0.1:PORT (SO_REUSEADDR,
 *                                      backlog 1024), listening, moved to fd 3 (or LISTEN_FD);
 *   NATIVE_CONNECT=HOST:PORT[,...]     a TCP connection to each, moved to fd 3, 4, ... in order
 *                                      (4, 5, ... when NATIVE_LISTEN is set too);
 * and ignores SIGPIPE, so that writing to a reset connection fails with EPIPE as under WASI
 * instead of killing the process, and raises the soft RLIMIT_NOFILE towards 4096 (Linux's default
 * 1024 is below a server's 1024 connections plus its own descriptors). Under __wasi__,
 * net_native_init() does nothing.
 *
 * net_poll() is poll(): natively poll() itself. Under __wasi__ it makes the same poll_oneoff call
 * and revents as wasi-libc's poll() (POLLIN/POLLOUT: an fd_read/fd_write subscription; an event's
 * error BADF/PIPE/other: POLLNVAL/POLLHUP/POLLERR; its hangup flag: POLLHUP, which clears
 * POLLOUT) but keeps its arrays on the heap. wasi-libc's poll() (Debian's wasi-libc, a 2022-05
 * snapshot) puts 2*nfds+1 subscriptions of 48 bytes and the events in variable-length arrays on
 * the 64 KiB stack that wasm-ld gives a program, so a few hundred descriptors run off the stack
 * and silently overwrite the static data below it (one event per descriptor, measured: 640 fine,
 * 680 corrupted), and 1025 trap. An entry must ask for POLLIN or POLLOUT or have a negative fd:
 * wasi-libc's poll() fails ENOSYS on one that asks for neither; net_poll() skips it.
 */
#ifndef NET_NATIVE_H
#define NET_NATIVE_H

#include <errno.h>
#include <poll.h>
#include <stddef.h>

#ifdef __wasi__

#include <stdlib.h>
#include <wasi/api.h>

static inline void net_native_init(void) {}

static inline int net_poll(struct pollfd *fds, size_t nfds, int timeout_ms) {
  static __wasi_subscription_t *subs;
  static __wasi_event_t *events;
  static size_t cap;
  if (2 * nfds + 1 > cap) {
    size_t want = 2 * nfds + 1;
    __wasi_subscription_t *s = realloc(subs, want * sizeof *s);
    if (s) subs = s;
    __wasi_event_t *e = s ? realloc(events, want * sizeof *e) : NULL;
    if (e) events = e;
    if (!s || !e) {
      errno = ENOMEM;
      return -1;
    }
    cap = want;
  }
  size_t n = 0;
  for (size_t i = 0; i < nfds; i++) {
    fds[i].revents = 0;
    if (fds[i].fd < 0) continue;
    if (fds[i].events & POLLIN) {
      subs[n] = (__wasi_subscription_t){.userdata = i, .u.tag = __WASI_EVENTTYPE_FD_READ};
      subs[n++].u.u.fd_read.file_descriptor = (__wasi_fd_t)fds[i].fd;
    }
    if (fds[i].events & POLLOUT) {
      subs[n] = (__wasi_subscription_t){.userdata = i, .u.tag = __WASI_EVENTTYPE_FD_WRITE};
      subs[n++].u.u.fd_write.file_descriptor = (__wasi_fd_t)fds[i].fd;
    }
  }
  if (timeout_ms >= 0) {
    subs[n] = (__wasi_subscription_t){.userdata = (__wasi_userdata_t)-1, .u.tag = __WASI_EVENTTYPE_CLOCK};
    subs[n].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    subs[n++].u.u.clock.timeout = (__wasi_timestamp_t)timeout_ms * 1000000;
  }
  size_t got = 0;
  __wasi_errno_t err = n ? __wasi_poll_oneoff(subs, events, n, &got) : __WASI_ERRNO_INVAL;
  if (err) {
    errno = err;
    return -1;
  }
  for (size_t k = 0; k < got; k++) {
    const __wasi_event_t *ev = &events[k];
    if (ev->type != __WASI_EVENTTYPE_FD_READ && ev->type != __WASI_EVENTTYPE_FD_WRITE) continue;
    struct pollfd *p = &fds[ev->userdata];
    if (ev->error == __WASI_ERRNO_BADF)
      p->revents |= POLLNVAL;
    else if (ev->error == __WASI_ERRNO_PIPE)
      p->revents |= POLLHUP;
    else if (ev->error)
      p->revents |= POLLERR;
    else
      p->revents |= ev->type == __WASI_EVENTTYPE_FD_READ ? POLLIN : POLLOUT;
    if (ev->fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP) p->revents |= POLLHUP;
  }
  int ready = 0;
  for (size_t i = 0; i < nfds; i++) {
    if (fds[i].revents & POLLHUP) fds[i].revents &= ~POLLOUT;
    ready += fds[i].revents != 0;
  }
  return ready;
}

#else /* native */

#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static inline int net_poll(struct pollfd *fds, size_t nfds, int timeout_ms) {
  return poll(fds, (nfds_t)nfds, timeout_ms);
}

static void net_native_fail(const char *var, const char *value, const char *why) {
  fprintf(stderr, "net_native: %s=%s: %s\n", var, value, why);
  exit(1);
}

/* Moves fd to target (closing what was there) and returns target. */
static int net_native_move(int fd, int target, const char *var, const char *value) {
  if (fd == target) return fd;
  if (dup2(fd, target) < 0) net_native_fail(var, value, strerror(errno));
  close(fd);
  return target;
}

static int net_native_fd(const char *name, int fallback) {
  const char *s = getenv(name);
  return s && *s ? atoi(s) : fallback;
}

static void net_native_listen(const char *value) {
  char *end;
  long port = strtol(value, &end, 10);
  if (*value == '\0' || *end != '\0' || port < 1 || port > 65535) net_native_fail("NATIVE_LISTEN", value, "not a port");
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
      bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1024) < 0)
    net_native_fail("NATIVE_LISTEN", value, strerror(errno));
  net_native_move(fd, net_native_fd("LISTEN_FD", 3), "NATIVE_LISTEN", value);
}

/* Connects to "HOST:PORT" (the last colon separates them) and returns the socket. */
static int net_native_connect_one(const char *spec, const char *value) {
  char host[256];
  const char *colon = strrchr(spec, ':');
  size_t hlen = colon ? (size_t)(colon - spec) : 0;
  if (!colon || hlen == 0 || hlen >= sizeof host || colon[1] == '\0')
    net_native_fail("NATIVE_CONNECT", value, "want HOST:PORT[,HOST:PORT...]");
  memcpy(host, spec, hlen);
  host[hlen] = '\0';
  struct addrinfo hints, *res;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int e = getaddrinfo(host, colon + 1, &hints, &res);
  if (e) net_native_fail("NATIVE_CONNECT", value, gai_strerror(e));
  int fd = -1, err = 0;
  for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
      err = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) net_native_fail("NATIVE_CONNECT", value, strerror(err ? err : errno));
  return fd;
}

static void net_native_connect(const char *value, int first_fd) {
  char spec[512];
  int target = first_fd;
  for (const char *p = value; *p;) {
    size_t len = strcspn(p, ",");
    if (len == 0 || len >= sizeof spec) net_native_fail("NATIVE_CONNECT", value, "want HOST:PORT[,HOST:PORT...]");
    memcpy(spec, p, len);
    spec[len] = '\0';
    net_native_move(net_native_connect_one(spec, value), target++, "NATIVE_CONNECT", value);
    p += len;
    if (*p == ',') p++;
  }
}

static void net_native_init(void) {
  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 4096 && rl.rlim_max > rl.rlim_cur) {
    rl.rlim_cur = rl.rlim_max < 4096 ? rl.rlim_max : 4096;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  const char *listen_port = getenv("NATIVE_LISTEN");
  const char *connect_to = getenv("NATIVE_CONNECT");
  if (listen_port) net_native_listen(listen_port);
  if (connect_to) net_native_connect(connect_to, listen_port ? net_native_fd("LISTEN_FD", 3) + 1 : 3);
}

#endif /* __wasi__ */
#endif /* NET_NATIVE_H */
