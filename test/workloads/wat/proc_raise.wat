;; proc_raise(SIGKILL) and proc_raise(SIGTERM) (WASI signal numbers 9 and 15) must not kill the
;; runtime: preview1 runtimes answer ENOTSUP (wasmtime) or ENOSYS. The program then prints
;; "still alive" and exits 0. A runtime that raises the signal on the host fails this test.
(module
  (import "wasi_snapshot_preview1" "proc_raise" (func $proc_raise (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "still alive\n")
  (data (i32.const 32) "proc_raise succeeded\n")

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $check (param $sig i32)
    (local $e i32)
    (local.set $e (call $proc_raise (local.get $sig)))
    (if (i32.eqz (local.get $e))
      (then (call $write (i32.const 32) (i32.const 21)) (call $proc_exit (i32.const 1))))
    (if (i32.and (i32.ne (local.get $e) (i32.const 58)) (i32.ne (local.get $e) (i32.const 52)))
      (then (call $proc_exit (i32.const 2)))))

  (func (export "_start")
    (call $check (i32.const 9))
    (call $check (i32.const 15))
    (call $check (i32.const 6))
    (call $write (i32.const 16) (i32.const 12))))
