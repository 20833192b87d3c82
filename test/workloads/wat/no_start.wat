;; A valid module that exports no _start (a library or "reactor"): `enarx run` must refuse it
;; with an error that says _start is missing.
(module
  (memory (export "memory") 1)
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))
