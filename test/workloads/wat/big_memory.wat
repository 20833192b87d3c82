;; Declares a minimum memory of 32768 pages (2 GiB). A runtime with a memory limit below that
;; (enarx run --max-memory 64MiB) must refuse to instantiate it, before _start runs.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 32768)
  (data (i32.const 16) "instantiated\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 13))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
