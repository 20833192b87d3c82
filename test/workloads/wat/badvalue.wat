;; Values outside an enum or flags type of wasi_snapshot_preview1. The first argument picks one
;; call (a letter). The runtime either returns EINVAL (then this prints "EINVAL" and exits 0) or
;; traps, as wasmtime does when it cannot decode an argument. Any other errno prints "errno N"
;; and exits 1. For poll_oneoff an EINVAL in the event's error field counts too.
;;   a clock_res_get: clock id 4              h poll_oneoff: clock id 99
;;   b clock_time_get: clock id 99            i poll_oneoff: event type 7
;;   c fd_seek: whence 3                      j fd_fdstat_set_flags: fdflags bit 0x20
;;   d fd_advise: advice 6                    k fd_filestat_set_times: fstflags bit 0x10
;;   e path_open: oflags bit 0x10             l path_open: fdflags bit 0x20
;;   f path_open: lookupflags bit 2           m path_filestat_set_times: fstflags bit 0x10
;;   g path_filestat_get: lookupflags bit 2
;; Needs a preopened directory at fd 3 holding hello.txt.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_res_get" (func $clock_res_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_advise" (func $fd_advise (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $fd_fdstat_set_flags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_set_times" (func $fd_filestat_set_times (param i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_set_times"
    (func $path_filestat_set_times (param i32 i32 i32 i32 i64 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 32) "hello.txt")
  (data (i32.const 64) "EINVAL\n")
  (data (i32.const 80) "errno ")
  (data (i32.const 96) "usage: badvalue.wasm LETTER\n")
  (data (i32.const 128) "setup: cannot open hello.txt\n")

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $print_u32 (param $n i32)
    (local $p i32)
    (local.set $p (i32.const 300))
    (i32.store8 (local.get $p) (i32.const 10))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (call $write (local.get $p) (i32.sub (i32.const 301) (local.get $p))))

  ;; One clock subscription at 1024 (userdata 7, relative, 1 ms) with the given clock id and
  ;; event type; returns poll_oneoff's errno, or the event's error when the call succeeded.
  (func $poll (param $type i32) (param $clock i32) (result i32)
    (local $e i32)
    (i64.store (i32.const 1024) (i64.const 7))
    (i32.store8 (i32.const 1032) (local.get $type))
    (i32.store (i32.const 1040) (local.get $clock))
    (i64.store (i32.const 1048) (i64.const 1000000))
    (i64.store (i32.const 1056) (i64.const 0))
    (i32.store16 (i32.const 1064) (i32.const 0))
    (i32.store16 (i32.const 2056) (i32.const 0))
    (local.set $e (call $poll_oneoff (i32.const 1024) (i32.const 2048) (i32.const 1) (i32.const 512)))
    (if (result i32) (local.get $e)
      (then (local.get $e))
      (else (i32.load16_u (i32.const 2056)))))

  (func $call (param $which i32) (param $file i32) (result i32)
    (block $m (block $l (block $k (block $j (block $i (block $h (block $g
    (block $f (block $e (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d $e $f $g $h $i $j $k $l $m (local.get $which)))
      (return (call $clock_res_get (i32.const 4) (i32.const 512))))
      (return (call $clock_time_get (i32.const 99) (i64.const 1) (i32.const 512))))
      (return (call $fd_seek (local.get $file) (i64.const 0) (i32.const 3) (i32.const 512))))
      (return (call $fd_advise (local.get $file) (i64.const 0) (i64.const 1) (i32.const 6))))
      (return (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 9)
                               (i32.const 0x10) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 512))))
      (return (call $path_open (i32.const 3) (i32.const 2) (i32.const 32) (i32.const 9)
                               (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 512))))
      (return (call $path_filestat_get (i32.const 3) (i32.const 2) (i32.const 32) (i32.const 9) (i32.const 1536))))
      (return (call $poll (i32.const 0) (i32.const 99))))
      (return (call $poll (i32.const 7) (i32.const 1))))
      (return (call $fd_fdstat_set_flags (local.get $file) (i32.const 0x20))))
      (return (call $fd_filestat_set_times (local.get $file) (i64.const 0) (i64.const 0) (i32.const 0x10))))
      (return (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 9)
                               (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0x20) (i32.const 512))))
    (call $path_filestat_set_times (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 9)
                                   (i64.const 0) (i64.const 0) (i32.const 0x10)))

  (func (export "_start")
    (local $which i32) (local $e i32)
    (local.set $which (i32.const -1))
    (drop (call $args_sizes_get (i32.const 512) (i32.const 516)))
    (if (i32.eq (i32.load (i32.const 512)) (i32.const 2))
      (then
        (drop (call $args_get (i32.const 4096) (i32.const 8192)))
        (local.set $which (i32.sub (i32.load8_u (i32.load (i32.const 4100))) (i32.const 97)))))
    (if (i32.gt_u (local.get $which) (i32.const 12))
      (then (call $write (i32.const 96) (i32.const 28)) (call $proc_exit (i32.const 2))))
    ;; hello.txt opened with every file right (so no rights check can answer first), fd at 600.
    (if (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 9)
                         (i32.const 0) (i64.const 0x08e001ff) (i64.const 0) (i32.const 0) (i32.const 600))
      (then (call $write (i32.const 128) (i32.const 29)) (call $proc_exit (i32.const 2))))
    (local.set $e (call $call (local.get $which) (i32.load (i32.const 600))))
    (if (i32.eq (local.get $e) (i32.const 28))
      (then (call $write (i32.const 64) (i32.const 7)) (call $proc_exit (i32.const 0))))
    (call $write (i32.const 80) (i32.const 6))
    (call $print_u32 (local.get $e))
    (call $proc_exit (i32.const 1))))
