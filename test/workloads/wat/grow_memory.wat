;; No declared maximum: only the runtime's memory limit (enarx run --max-memory) stops it; never run it without one.
;; Grows memory one page (64 KiB) at a time, touching each new page, until memory.grow returns
;; -1, then prints "memory.grow failed at N pages" and exits 0.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "memory.grow failed at ")
  (data (i32.const 96) " pages\n")

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $print_u32 (param $n i32)
    (local $p i32)
    (local.set $p (i32.const 200))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (call $write (local.get $p) (i32.sub (i32.const 200) (local.get $p))))

  (func (export "_start")
    (local $old i32)
    (block $done
      (loop $grow
        (local.set $old (memory.grow (i32.const 1)))
        (br_if $done (i32.eq (local.get $old) (i32.const -1)))
        ;; Touch the new page so it is really there.
        (i32.store (i32.mul (local.get $old) (i32.const 65536)) (i32.const 0x5a5a5a5a))
        (br $grow)))
    (call $write (i32.const 64) (i32.const 22))
    (call $print_u32 (memory.size))
    (call $write (i32.const 96) (i32.const 7))))
