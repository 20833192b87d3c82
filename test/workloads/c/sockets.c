/*
 * sock_accept, sock_recv, sock_send and sock_shutdown on descriptors that are not sockets
 * (stdin, stdout, a regular file, a directory) fail with ENOTSOCK, and on a closed descriptor
 * with EBADF.
 *
 * Needs the `tree` fixture preopened as /sandbox.
 */
#define PROGRAM "sockets"
#include "check.h"

int main(void) {
  __wasi_fd_t dir = preopen("/sandbox");
  int64_t r = open_at(dir, 0, "hello.txt", 0, R_READ | R_WRITE | __WASI_RIGHTS_FD_SEEK, 0);
  MUST(open_errno(r));
  __wasi_fd_t file = (__wasi_fd_t)r;

  char buf[16];
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
  __wasi_ciovec_t civ = {(const uint8_t *)"x", 1};
  size_t n;
  __wasi_roflags_t roflags;
  __wasi_fd_t accepted;

  const __wasi_fd_t not_sockets[] = {0, 1, 2, file, dir};
  for (size_t i = 0; i < sizeof not_sockets / sizeof not_sockets[0]; i++) {
    __wasi_fd_t fd = not_sockets[i];
    EXPECT(__wasi_sock_accept(fd, 0, &accepted), E(NOTSOCK));
    EXPECT(__wasi_sock_recv(fd, &iov, 1, 0, &n, &roflags), E(NOTSOCK));
    EXPECT(__wasi_sock_send(fd, &civ, 1, 0, &n), E(NOTSOCK));
    EXPECT(__wasi_sock_shutdown(fd, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR), E(NOTSOCK));
  }
  const __wasi_fd_t closed[] = {77, 0xffffffff};
  for (size_t i = 0; i < sizeof closed / sizeof closed[0]; i++) {
    __wasi_fd_t fd = closed[i];
    EXPECT(__wasi_sock_accept(fd, 0, &accepted), E(BADF));
    EXPECT(__wasi_sock_recv(fd, &iov, 1, 0, &n, &roflags), E(BADF));
    EXPECT(__wasi_sock_send(fd, &civ, 1, 0, &n), E(BADF));
    EXPECT(__wasi_sock_shutdown(fd, __WASI_SDFLAGS_WR), E(BADF));
  }
  /* The file is untouched by the failed sock_send. */
  size_t got;
  OK(pread_full(file, buf, 5, 0, &got));
  CHECK_STR(buf, got, "Hello");
  CLOSE(file);
  return finish();
}
