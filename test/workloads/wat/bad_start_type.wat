;; Exports _start with a parameter: it is not a WASI command entry point and must be refused.
(module
  (memory (export "memory") 1)
  (func (export "_start") (param i32)))
