/*
 * The socket syscalls on both ends of one connection inside a keep: fd 3 listens, fd 4 is
 * connected to it (Enarx.toml: a listen entry, then a connect entry to the same address), so
 * sock_accept(3) gives the server end of fd 4. Checks sock_accept (flags, EAGAIN), sock_recv
 * (RECV_PEEK, RECV_WAITALL, several iovecs), sock_send, fd_read/fd_write on sockets,
 * non-blocking mode (EAGAIN) through sock_accept's flags and fd_fdstat_set_flags, back-pressure
 * (a peer that does not read makes a non-blocking sender see EAGAIN after a bounded amount),
 * poll_oneoff over sockets, stdin and a timer, sock_shutdown (half-close: EOF and hangup on the other
 * end, EPIPE on the shut side), fd_filestat_get/fd_fdstat_get on sockets, and the errnos of
 * operations that do not apply (EINVAL, ENOTCONN).
 */
#define PROGRAM "sock_pair"
#include "check.h"

enum { LISTENER = 3, CLIENT = 4 };

static __wasi_errno_t send_str(__wasi_fd_t fd, const char *s, size_t *n) {
  __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
  return __wasi_sock_send(fd, &iov, 1, 0, n);
}

static __wasi_errno_t recv_buf(__wasi_fd_t fd, char *buf, size_t len, __wasi_riflags_t flags, size_t *n) {
  __wasi_iovec_t iov = {(uint8_t *)buf, len};
  __wasi_roflags_t ro;
  return __wasi_sock_recv(fd, &iov, 1, flags, n, &ro);
}

/* One fd_read subscription on `fd` and a relative timer of `ms`; returns the events' count. */
static size_t poll_read(__wasi_fd_t fd, uint64_t ms, __wasi_event_t *ev) {
  __wasi_subscription_t subs[2];
  memset(subs, 0, sizeof subs);
  subs[0].userdata = 1;
  subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[0].u.u.fd_read.file_descriptor = fd;
  subs[1].userdata = 2;
  subs[1].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[1].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[1].u.u.clock.timeout = ms * 1000000ull;
  size_t n = 0;
  OK(__wasi_poll_oneoff(subs, ev, 2, &n));
  return n;
}

static void check_stats(__wasi_fd_t server) {
  __wasi_filestat_t st;
  OK(__wasi_fd_filestat_get(server, &st));
  CHECK_U64(st.filetype, __WASI_FILETYPE_SOCKET_STREAM);
  __wasi_fdstat_t fs;
  OK(__wasi_fd_fdstat_get(LISTENER, &fs));
  CHECK_U64(fs.fs_filetype, __WASI_FILETYPE_SOCKET_STREAM);
  CHECK((fs.fs_rights_base & __WASI_RIGHTS_SOCK_ACCEPT) != 0);
  OK(__wasi_fd_fdstat_get(server, &fs));
  CHECK_U64(fs.fs_flags, __WASI_FDFLAGS_NONBLOCK);
}

static void check_not_applicable(__wasi_fd_t server) {
  __wasi_fd_t fd;
  char buf[4];
  size_t n;
  EXPECT(__wasi_sock_accept(LISTENER, 0x80, &fd), E(INVAL));
  EXPECT(__wasi_sock_accept(CLIENT, 0, &fd), E(INVAL));
  EXPECT(recv_buf(LISTENER, buf, sizeof buf, 0, &n), E(NOTCONN));
  EXPECT(send_str(LISTENER, "x", &n), E(NOTCONN));
  EXPECT(__wasi_sock_shutdown(LISTENER, __WASI_SDFLAGS_WR), E(NOTCONN));
  EXPECT(__wasi_sock_shutdown(server, 0), E(INVAL));
  EXPECT(__wasi_sock_shutdown(server, 4), E(INVAL));
  EXPECT(recv_buf(server, buf, sizeof buf, 4, &n), E(INVAL));
  /* No second connection is waiting: a non-blocking listener says so (the flag given to
     sock_accept is the new socket's, not the listener's). */
  OK(__wasi_fd_fdstat_set_flags(LISTENER, __WASI_FDFLAGS_NONBLOCK));
  EXPECT(__wasi_sock_accept(LISTENER, 0, &fd), E(AGAIN));
  OK(__wasi_fd_fdstat_set_flags(LISTENER, 0));
}

static void check_peek_waitall(__wasi_fd_t server) {
  char buf[16];
  size_t n;
  __wasi_event_t ev[2];
  OK(send_str(CLIENT, "ping", &n));
  CHECK_U64(n, 4);
  poll_read(server, 5000, ev); /* the bytes cross the host's loopback first */
  OK(recv_buf(server, buf, sizeof buf, __WASI_RIFLAGS_RECV_PEEK, &n));
  CHECK_STR(buf, n, "ping");
  OK(recv_buf(server, buf, sizeof buf, 0, &n));
  CHECK_STR(buf, n, "ping");
  EXPECT(recv_buf(server, buf, sizeof buf, 0, &n), E(AGAIN));
  /* Two sends, one recv that waits for all six bytes (blocking for the WAITALL part). */
  OK(send_str(CLIENT, "abc", &n));
  OK(send_str(CLIENT, "def", &n));
  OK(__wasi_fd_fdstat_set_flags(server, 0));
  OK(recv_buf(server, buf, 6, __WASI_RIFLAGS_RECV_WAITALL, &n));
  CHECK_STR(buf, n, "abcdef");
  OK(__wasi_fd_fdstat_set_flags(server, __WASI_FDFLAGS_NONBLOCK));
  /* Several iovecs, filled in order; WAITALL does not wait on a non-blocking socket. */
  OK(send_str(CLIENT, "123456", &n));
  char a[2], b[8];
  __wasi_iovec_t iovs[2] = {{(uint8_t *)a, sizeof a}, {(uint8_t *)b, sizeof b}};
  __wasi_roflags_t ro;
  poll_read(server, 5000, ev);
  OK(__wasi_sock_recv(server, iovs, 2, __WASI_RIFLAGS_RECV_WAITALL, &n, &ro));
  CHECK_U64(n, 6);
  CHECK_STR(a, 2, "12");
  CHECK_STR(b, 4, "3456");
}

/* stdin (the case gives it "stdin\n") and a socket in one poll: stdin is ready, the socket not. */
static void check_poll_stdin(__wasi_fd_t server) {
  __wasi_subscription_t subs[3];
  memset(subs, 0, sizeof subs);
  subs[0].userdata = 10;
  subs[0].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[0].u.u.fd_read.file_descriptor = server;
  subs[1].userdata = 11;
  subs[1].u.tag = __WASI_EVENTTYPE_FD_READ;
  subs[1].u.u.fd_read.file_descriptor = 0;
  subs[2].userdata = 12;
  subs[2].u.tag = __WASI_EVENTTYPE_CLOCK;
  subs[2].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  subs[2].u.u.clock.timeout = 5000000000ull;
  __wasi_event_t ev[3];
  size_t n = 0;
  OK(__wasi_poll_oneoff(subs, ev, 3, &n));
  CHECK(n >= 1 && ev[0].userdata == 11 && ev[0].error == 0);
  char buf[16];
  size_t got;
  OK(read_some(0, buf, sizeof buf, &got));
  CHECK_STR(buf, got, "stdin\n");
}

static void check_poll(__wasi_fd_t server) {
  __wasi_event_t ev[2];
  size_t n = poll_read(server, 30, ev);
  CHECK_U64(n, 1);
  CHECK_U64(ev[0].userdata, 2); /* only the timer */
  size_t sent;
  OK(send_str(CLIENT, "wake", &sent));
  n = poll_read(server, 5000, ev);
  CHECK(n >= 1 && ev[0].userdata == 1 && ev[0].type == __WASI_EVENTTYPE_FD_READ && ev[0].error == 0);
  char buf[8];
  OK(recv_buf(server, buf, sizeof buf, 0, &sent));
  CHECK_STR(buf, sent, "wake");
}

/* The server does not read: a non-blocking client fills the rings and the kernel's buffers, then
   sees EAGAIN; once the server reads everything, the client can write again. */
static void check_backpressure(__wasi_fd_t server) {
  static char chunk[65536];
  memset(chunk, 'z', sizeof chunk);
  OK(__wasi_fd_fdstat_set_flags(CLIENT, __WASI_FDFLAGS_NONBLOCK));
  size_t total = 0, n = 0;
  __wasi_errno_t e = 0;
  __wasi_event_t ev[2];
  /* Bounded: more than 256 MiB would mean nothing pushes back. A short pause after the first
     EAGAIN lets the main thread move what it can before the buffers count as full. */
  for (int again = 0; total < (256u << 20) && again < 20;) {
    __wasi_ciovec_t iov = {(const uint8_t *)chunk, sizeof chunk};
    e = __wasi_fd_write(CLIENT, &iov, 1, &n);
    if (e == 0) total += n;
    else if (e == __WASI_ERRNO_AGAIN) {
      again++;
      poll_read(LISTENER, 5, ev); /* a 5 ms sleep (nothing to accept) */
    } else break;
  }
  CHECK(e == __WASI_ERRNO_AGAIN);
  CHECK(total > 0 && total < (256u << 20));
  OK(__wasi_fd_fdstat_set_flags(server, 0));
  size_t got = 0;
  while (got < total) {
    __wasi_iovec_t iov = {(uint8_t *)chunk, sizeof chunk};
    if (__wasi_fd_read(server, &iov, 1, &n) != 0 || n == 0) break;
    got += n;
  }
  CHECK_U64(got, total);
  OK(__wasi_fd_fdstat_set_flags(server, __WASI_FDFLAGS_NONBLOCK));
  OK(__wasi_fd_fdstat_set_flags(CLIENT, 0));
}

static void check_half_close(__wasi_fd_t server) {
  char buf[16];
  size_t n;
  OK(__wasi_sock_shutdown(CLIENT, __WASI_SDFLAGS_WR));
  EXPECT(send_str(CLIENT, "late", &n), E(PIPE));
  __wasi_event_t ev[2];
  n = poll_read(server, 5000, ev);
  CHECK(n >= 1 && ev[0].userdata == 1 && (ev[0].fd_readwrite.flags & __WASI_EVENTRWFLAGS_FD_READWRITE_HANGUP));
  OK(recv_buf(server, buf, sizeof buf, 0, &n));
  CHECK_U64(n, 0); /* end of stream */
  /* The other direction still works. */
  __wasi_ciovec_t iov = {(const uint8_t *)"reply", 5};
  OK(__wasi_fd_write(server, &iov, 1, &n));
  OK(__wasi_fd_fdstat_set_flags(CLIENT, 0));
  OK(recv_buf(CLIENT, buf, 5, __WASI_RIFLAGS_RECV_WAITALL, &n));
  CHECK_STR(buf, n, "reply");
  CLOSE(server);
  OK(recv_buf(CLIENT, buf, sizeof buf, 0, &n));
  CHECK_U64(n, 0);
}

int main(void) {
  __wasi_fd_t server;
  OK(__wasi_sock_accept(LISTENER, __WASI_FDFLAGS_NONBLOCK, &server));
  check_stats(server);
  check_not_applicable(server);
  check_peek_waitall(server);
  check_poll(server);
  check_poll_stdin(server);
  check_backpressure(server);
  check_half_close(server);
  CLOSE(CLIENT);
  CLOSE(LISTENER);
  return finish();
}
