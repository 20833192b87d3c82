;; Prints "before the trap" and then traps: unbounded recursion exhausts the call stack.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "before the trap\n")
  (func $recurse (param $depth i32)
    (call $recurse (i32.add (local.get $depth) (i32.const 1))))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $recurse (i32.const 0))))
