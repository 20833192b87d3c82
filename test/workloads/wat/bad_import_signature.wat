;; Imports fd_write with the wrong signature (i64 parameters): linking must fail.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i64 i64 i64 i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $fd_write (i64.const 1) (i64.const 0) (i64.const 1) (i64.const 8)))))
