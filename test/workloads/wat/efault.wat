;; Out-of-bounds pointers passed to WASI functions. The first argument picks one call (a letter).
;; In memory [0, 65536) each call gets a pointer that is outside memory or a range that crosses
;; its end (always suitably aligned: witx wants a trap for a misaligned pointer, a separate rule). The runtime must not read or write outside the guest's memory: it either returns
;; EFAULT (then this prints "EFAULT" and exits 0) or traps, as the witx "pointers" rules prefer
;; (wasmtime traps). Any other errno prints "errno N" and exits 1. For m and n wasmtime answers
;; ENOMEM first: the lengths exceed what it agrees to copy at all; for n ENAMETOOLONG is as good.
;;   a fd_write: iovs array out of bounds       j path_open: path pointer out of bounds
;;   b fd_write: nwritten out of bounds          k fd_prestat_dir_name: buffer crosses the end
;;   c fd_write: data crosses the end            l poll_oneoff: subscriptions cross the end
;;   d fd_read: buffer past the end                m fd_write: iovs_len makes the array too long
;;   e args_sizes_get: result out of bounds      n path_open: path length crosses the end
;;   f args_get: argv array crosses the end      o fd_readdir: buffer crosses the end
;;   g environ_sizes_get: result at the end      p fd_filestat_get: result crosses the end
;;   h clock_time_get: result crosses the end    q path_filestat_get: result crosses the end
;;   i random_get: buffer crosses the end
;; Needs a preopened directory at fd 3 holding hello.txt, and some bytes on stdin (case d).
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get" (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_filestat_get" (func $path_filestat_get (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "data")
  (data (i32.const 32) "hello.txt")
  (data (i32.const 64) "EFAULT\n")
  (data (i32.const 80) "errno ")
  (data (i32.const 96) "usage: efault.wasm LETTER\n")

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

  (func $call (param $which i32) (result i32)
    ;; iovec at 48 { buf = 65530, len = 100 }: crosses the end of memory.
    (i32.store (i32.const 48) (i32.const 65530))
    (i32.store (i32.const 52) (i32.const 100))
    ;; iovec at 56 { buf = 70000, len = 100 }: wholly past the end (a read may be short, so
    ;; only a buffer with no valid byte at all is sure to be touched out of bounds).
    (i32.store (i32.const 56) (i32.const 70000))
    (i32.store (i32.const 60) (i32.const 100))
    ;; iovec at 0 { buf = 16, len = 0 }: valid and empty.
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 0))
    (block $q (block $p (block $o (block $n (block $m (block $l (block $k (block $j
    (block $i (block $h (block $g (block $f (block $e (block $d (block $c (block $b (block $a
      (br_table $a $b $c $d $e $f $g $h $i $j $k $l $m $n $o $p $q (local.get $which)))
      (return (call $fd_write (i32.const 1) (i32.const 0xFFFFFFF0) (i32.const 1) (i32.const 8))))
      (return (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 0xFFFFFFFC))))
      (return (call $fd_write (i32.const 1) (i32.const 48) (i32.const 1) (i32.const 8))))
      (return (call $fd_read (i32.const 0) (i32.const 56) (i32.const 1) (i32.const 8))))
      (return (call $args_sizes_get (i32.const 0xFFFFFFFF) (i32.const 8))))
      (return (call $args_get (i32.const 65534) (i32.const 4096))))
      (return (call $environ_sizes_get (i32.const 8) (i32.const 65536))))
      (return (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 65532))))
      (return (call $random_get (i32.const 65000) (i32.const 1000))))
      (return (call $path_open (i32.const 3) (i32.const 0) (i32.const 0xFFFFFF00) (i32.const 10)
                               (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 8))))
      (return (call $fd_prestat_dir_name (i32.const 3) (i32.const 65535) (i32.const 8))))
      (return (call $poll_oneoff (i32.const 65504) (i32.const 8192) (i32.const 1) (i32.const 8))))
      (return (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x10000000) (i32.const 8))))
      (return (call $path_open (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 0xFFFFFFF0)
                               (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 8))))
      (return (call $fd_readdir (i32.const 3) (i32.const 65504) (i32.const 100) (i64.const 0) (i32.const 8))))
      (return (call $fd_filestat_get (i32.const 3) (i32.const 65504))))
    (call $path_filestat_get (i32.const 3) (i32.const 0) (i32.const 32) (i32.const 9) (i32.const 65504)))

  (func (export "_start")
    (local $which i32) (local $e i32)
    (local.set $which (i32.const -1))
    (drop (call $args_sizes_get (i32.const 512) (i32.const 516)))
    (if (i32.eq (i32.load (i32.const 512)) (i32.const 2))
      (then
        (drop (call $args_get (i32.const 1024) (i32.const 4096)))
        (local.set $which (i32.sub (i32.load8_u (i32.load (i32.const 1028))) (i32.const 97)))))
    (if (i32.gt_u (local.get $which) (i32.const 16))
      (then (call $write (i32.const 96) (i32.const 26)) (call $proc_exit (i32.const 2))))
    (local.set $e (call $call (local.get $which)))
    (if (i32.eq (local.get $e) (i32.const 21))
      (then (call $write (i32.const 64) (i32.const 7)) (call $proc_exit (i32.const 0))))
    (call $write (i32.const 80) (i32.const 6))
    (call $print_u32 (local.get $e))
    (call $proc_exit (i32.const 1))))
