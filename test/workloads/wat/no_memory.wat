;; Calls fd_write without exporting a memory. The runtime cannot read the iovecs: the run must
;; fail with an error (not crash the host, not print anything).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
