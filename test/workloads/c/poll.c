/*
 * poll_oneoff: relative and absolute clock subscriptions (MONOTONIC and REALTIME), fd_read and
 * fd_write readiness of files, stdin and stdout, several subscriptions at once, and the errors
 * (no subscriptions, a closed fd). Also sched_yield and libc's sleep, which
 * are built on poll_oneoff.
 *
 * Needs the `tree` fixture preopened as /sandbox and stdin = "ping\n" (then end of file).
 * Only lower bounds of elapsed time are checked: a sleep may last longer, never shorter.
 */
#define PROGRAM "poll"
#include "check.h"
#include <time.h>
#include <unistd.h>

#define MS 1000000ull

static __wasi_timestamp_t now(__wasi_clockid_t id) {
  __wasi_timestamp_t t = 0;
  OK(__wasi_clock_time_get(id, 1, &t));
  return t;
}

static __wasi_subscription_t clock_sub(__wasi_userdata_t ud, __wasi_clockid_t id, __wasi_timestamp_t timeout,
                                       __wasi_subclockflags_t flags) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = timeout;
  s.u.u.clock.precision = 0;
  s.u.u.clock.flags = flags;
  return s;
}

static __wasi_subscription_t fd_sub(__wasi_userdata_t ud, __wasi_eventtype_t type, __wasi_fd_t fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = ud;
  s.u.tag = type;
  s.u.u.fd_read.file_descriptor = fd;
  return s;
}

/* The event with this userdata, or NULL. */
static const __wasi_event_t *event_for(const __wasi_event_t *ev, size_t n, __wasi_userdata_t ud) {
  for (size_t i = 0; i < n; i++)
    if (ev[i].userdata == ud) return &ev[i];
  return NULL;
}

static void clocks(void) {
  __wasi_event_t ev[4];
  size_t n = 0;

  /* Relative monotonic timeout. */
  __wasi_subscription_t s = clock_sub(0x1111, __WASI_CLOCKID_MONOTONIC, 30 * MS, 0);
  __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
  OK(__wasi_poll_oneoff(&s, ev, 1, &n));
  __wasi_timestamp_t t1 = now(__WASI_CLOCKID_MONOTONIC);
  CHECK_U64(n, 1);
  CHECK_U64(ev[0].userdata, 0x1111);
  CHECK_U64(ev[0].error, 0);
  CHECK_U64(ev[0].type, __WASI_EVENTTYPE_CLOCK);
  CHECK(t1 - t0 >= 30 * MS);

  /* Absolute monotonic deadline. */
  t0 = now(__WASI_CLOCKID_MONOTONIC);
  s = clock_sub(0x2222, __WASI_CLOCKID_MONOTONIC, t0 + 30 * MS, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
  OK(__wasi_poll_oneoff(&s, ev, 1, &n));
  t1 = now(__WASI_CLOCKID_MONOTONIC);
  CHECK_U64(n, 1);
  CHECK_U64(ev[0].userdata, 0x2222);
  CHECK_U64(ev[0].type, __WASI_EVENTTYPE_CLOCK);
  CHECK(t1 >= t0 + 30 * MS);

  /* An absolute deadline in the past, and a zero timeout, fire at once. */
  s = clock_sub(0x3333, __WASI_CLOCKID_MONOTONIC, 0, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
  OK(__wasi_poll_oneoff(&s, ev, 1, &n));
  CHECK(n == 1 && ev[0].userdata == 0x3333 && ev[0].error == 0);
  s = clock_sub(0x4444, __WASI_CLOCKID_MONOTONIC, 0, 0);
  OK(__wasi_poll_oneoff(&s, ev, 1, &n));
  CHECK(n == 1 && ev[0].userdata == 0x4444 && ev[0].error == 0);

  /* REALTIME, relative and absolute. */
  t0 = now(__WASI_CLOCKID_MONOTONIC);
  s = clock_sub(0x5555, __WASI_CLOCKID_REALTIME, 20 * MS, 0);
  OK(__wasi_poll_oneoff(&s, ev, 1, &n));
  CHECK(n == 1 && ev[0].userdata == 0x5555 && ev[0].type == __WASI_EVENTTYPE_CLOCK);
  CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 >= 20 * MS);
  __wasi_timestamp_t r0 = now(__WASI_CLOCKID_REALTIME);
  s = clock_sub(0x6666, __WASI_CLOCKID_REALTIME, r0 + 20 * MS, __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME);
  OK(__wasi_poll_oneoff(&s, ev, 1, &n));
  CHECK(n == 1 && ev[0].userdata == 0x6666);
  CHECK(now(__WASI_CLOCKID_REALTIME) >= r0 + 20 * MS - 5 * MS); /* wall clocks may be slewed a little */

  /* The shortest of several timers fires first; the others do not. */
  __wasi_subscription_t subs[3] = {
      clock_sub(0xA, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0),
      clock_sub(0xB, __WASI_CLOCKID_MONOTONIC, 10 * MS, 0),
      clock_sub(0xC, __WASI_CLOCKID_MONOTONIC, 20000 * MS, 0),
  };
  t0 = now(__WASI_CLOCKID_MONOTONIC);
  OK(__wasi_poll_oneoff(subs, ev, 3, &n));
  CHECK_U64(n, 1);
  CHECK_U64(ev[0].userdata, 0xB);
  CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 < 10000 * MS);
}

static void fds(__wasi_fd_t dir) {
  __wasi_event_t ev[4];
  size_t n = 0;
  int64_t r = open_at(dir, 0, "hello.txt", 0, R_READ | __WASI_RIGHTS_POLL_FD_READWRITE, 0);
  MUST(open_errno(r));
  __wasi_fd_t file = (__wasi_fd_t)r;

  /* A regular file is always ready; the long timer must not fire. */
  __wasi_subscription_t subs[3] = {
      clock_sub(0xC10C, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0),
      fd_sub(0xF11E, __WASI_EVENTTYPE_FD_READ, file),
  };
  OK(__wasi_poll_oneoff(subs, ev, 2, &n));
  CHECK_U64(n, 1);
  const __wasi_event_t *e = event_for(ev, n, 0xF11E);
  CHECK(e != NULL);
  if (e) {
    CHECK_U64(e->type, __WASI_EVENTTYPE_FD_READ);
    CHECK_U64(e->error, 0);
  }

  /* stdout is writable and stdin gets "ping\n": both become ready, the long timer does not fire. */
  subs[0] = fd_sub(0x0001, __WASI_EVENTTYPE_FD_WRITE, 1);
  subs[1] = fd_sub(0x0000, __WASI_EVENTTYPE_FD_READ, 0);
  subs[2] = clock_sub(0xC10C, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0);
  __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
  OK(__wasi_poll_oneoff(subs, ev, 3, &n));
  CHECK(n >= 1 && n <= 2);
  CHECK(event_for(ev, n, 0xC10C) == NULL);
  e = event_for(ev, n, 0x0001);
  CHECK(e != NULL && e->type == __WASI_EVENTTYPE_FD_WRITE && e->error == 0);
  if (!event_for(ev, n, 0x0000)) { /* stdin's data may still be on its way: wait for it alone */
    OK(__wasi_poll_oneoff(subs + 1, ev, 2, &n));
    CHECK_U64(n, 1);
  }
  e = event_for(ev, n, 0x0000);
  CHECK(e != NULL && e->type == __WASI_EVENTTYPE_FD_READ && e->error == 0);
  CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 < 10000 * MS);
  char buf[16];
  size_t got = 0;
  OK(read_some(0, buf, sizeof buf, &got));
  CHECK_STR(buf, got, "ping\n");

  /* A closed fd: either the whole call fails EBADF (wasmtime) or its event carries EBADF. */
  subs[0] = fd_sub(0xBAD, __WASI_EVENTTYPE_FD_READ, 77);
  subs[1] = clock_sub(0xC10C, __WASI_CLOCKID_MONOTONIC, 10000 * MS, 0);
  n = 0;
  int err = __wasi_poll_oneoff(subs, ev, 2, &n);
  EXPECT(err, 0, E(BADF));
  if (err == 0) {
    e = event_for(ev, n, 0xBAD);
    CHECK(e != NULL && e->error == E(BADF));
  }
  CLOSE(file);
}

static void errors(void) {
  __wasi_event_t ev[2];
  size_t n = 0;
  __wasi_subscription_t s = clock_sub(1, __WASI_CLOCKID_MONOTONIC, 0, 0);
  EXPECT(__wasi_poll_oneoff(&s, ev, 0, &n), E(INVAL)); /* would sleep forever */
  /* Unknown clock ids and event types are in wat/badvalue.wat (wasmtime traps on them). */
}

int main(void) {
  __wasi_fd_t dir = preopen("/sandbox");
  clocks();
  fds(dir);
  errors();

  for (int i = 0; i < 3; i++) OK(__wasi_sched_yield());

  /* libc sleeps through poll_oneoff. */
  __wasi_timestamp_t t0 = now(__WASI_CLOCKID_MONOTONIC);
  CHECK(usleep(15000) == 0);
  CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 >= 15 * MS);
  struct timespec ts = {0, 5 * 1000 * 1000};
  t0 = now(__WASI_CLOCKID_MONOTONIC);
  CHECK(nanosleep(&ts, NULL) == 0);
  CHECK(now(__WASI_CLOCKID_MONOTONIC) - t0 >= 5 * MS);
  return finish();
}
