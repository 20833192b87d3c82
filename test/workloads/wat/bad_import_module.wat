;; Imports from a module that does not exist ("env"): instantiation must fail with an error that
;; names the import.
(module
  (import "env" "host_secret" (func $secret (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (drop (call $secret))))
