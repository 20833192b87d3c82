/*
 * clock_res_get and clock_time_get for the four preview1 clock ids, and an unknown id.
 * REALTIME and MONOTONIC must work. PROCESS_CPUTIME_ID and THREAD_CPUTIME_ID may be
 * unsupported: then both calls fail with the same errno (wasmtime answers EBADF; EINVAL and
 * ENOTSUP are also seen); when supported they must behave like clocks.
 */
#define PROGRAM "clocks"
#include "check.h"

#define NS 1000000000ull

static volatile uint64_t sink;

static void spin(void) {
  for (uint64_t i = 0; i < 2000000; i++) sink += i * i;
}

int main(void) {
  __wasi_timestamp_t res, t, prev;

  OK(__wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &res));
  CHECK(res > 0 && res <= NS);
  OK(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t));
  CHECK(t > 1577836800ull * NS);  /* after 2020-01-01 */
  CHECK(t < 7258118400ull * NS);  /* before 2200-01-01 */

  OK(__wasi_clock_res_get(__WASI_CLOCKID_MONOTONIC, &res));
  CHECK(res > 0 && res <= NS);
  OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &prev));
  int monotonic = 1;
  for (int i = 0; i < 10000; i++) {
    OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 0, &t));
    if (t < prev) monotonic = 0;
    prev = t;
  }
  CHECK(monotonic);
  __wasi_timestamp_t m0, m1;
  OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &m0));
  spin();
  OK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &m1));
  CHECK(m1 > m0); /* real work takes measurable time */

  const __wasi_clockid_t cpu[] = {__WASI_CLOCKID_PROCESS_CPUTIME_ID, __WASI_CLOCKID_THREAD_CPUTIME_ID};
  for (int i = 0; i < 2; i++) {
    int e_res = __wasi_clock_res_get(cpu[i], &res);
    __wasi_timestamp_t c0 = 0, c1 = 0;
    int e_time = __wasi_clock_time_get(cpu[i], 1, &c0);
    EXPECT(e_res, 0, E(BADF), E(INVAL), E(NOTSUP));
    CHECK_U64(e_time, e_res); /* supported for both calls, or for neither */
    if (e_res == 0 && e_time == 0) {
      CHECK(res > 0 && res <= NS);
      spin();
      OK(__wasi_clock_time_get(cpu[i], 1, &c1));
      CHECK(c1 > c0);
    }
  }
  /* Unknown clock ids are in wat/badvalue.wat: wasmtime traps on them, others say EINVAL. */
  return finish();
}
