;; proc_exit with the status given as the first argument in decimal (0 when absent), after
;; printing "exiting with N" to stdout. A status above 255 is passed as is; what the host process
;; reports for it is the runtime's choice (POSIX keeps the low 8 bits).
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "exiting with ")

  ;; Writes memory[ptr, ptr+len) to stdout.
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Prints an unsigned number in decimal followed by a newline.
  (func $print_u32 (param $n i32)
    (local $p i32)
    (local.set $p (i32.const 200))
    (i32.store8 (local.get $p) (i32.const 10))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (call $write (local.get $p) (i32.sub (i32.const 201) (local.get $p))))

  (func (export "_start")
    (local $arg i32) (local $c i32) (local $status i32)
    ;; argc at 16, argv buffer size at 20; argv pointers at 1024, strings at 4096.
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (if (i32.ge_u (i32.load (i32.const 16)) (i32.const 2))
      (then
        (drop (call $args_get (i32.const 1024) (i32.const 4096)))
        (local.set $arg (i32.load (i32.const 1028)))
        (block $end
          (loop $parse
            (local.set $c (i32.load8_u (local.get $arg)))
            (br_if $end (i32.lt_u (local.get $c) (i32.const 48)))
            (br_if $end (i32.gt_u (local.get $c) (i32.const 57)))
            (local.set $status (i32.add (i32.mul (local.get $status) (i32.const 10))
                                        (i32.sub (local.get $c) (i32.const 48))))
            (local.set $arg (i32.add (local.get $arg) (i32.const 1)))
            (br $parse)))))
    (call $write (i32.const 64) (i32.const 13))
    (call $print_u32 (local.get $status))
    (call $proc_exit (local.get $status))
    unreachable))
