/**
 * The file `enarx config init` writes. Lines starting with `## ` are prose; lines starting with
 * `# ` are settings a user can enable by deleting the `# `. A test checks that the file parses
 * both as written and with every setting enabled, so the examples cannot rot.
 */

/** The commented template `enarx config init` writes. */
export const CONFIG_TEMPLATE = `## Enarx.toml: how a WebAssembly application runs in an Enarx Keep.
## Every key is optional. Lines starting with "# " are examples: remove the "# " to use one.

## Command-line arguments, after argv[0].
# args = [
#     "--verbose",
#     "--listen=web",
# ]

## Steward: the attestation service that certifies this Keep's TLS key.
## Without one, the Keep uses a self-signed certificate that carries its evidence (RA-TLS).
# steward = "https://steward.example.com"
## The CA certificates of the steward's HTTPS, when it is not publicly trusted (enarx-ts only).
# steward_trust_anchors = ["steward-ca.pem"]

## The DNS names the Keep's TLS certificate carries, besides localhost (enarx-ts only).
# dns_names = ["api.example.com"]

## Environment variables.
# [env]
# GREETING = "hello"
# LOG_LEVEL = "info"

## Pre-opened file descriptors: the first [[files]] entry is fd 0, the next fd 1, and so on.
## The application finds them through two environment variables: FD_COUNT (how many) and
## FD_NAMES (their names in fd order, separated by ':'). Without a files list at all, fds 0-2
## are stdin, stdout and stderr. Kinds: "null", "stdin", "stdout", "stderr", "listen", "connect".
[[files]]
kind = "stdin"

[[files]]
kind = "stdout"

[[files]]
kind = "stderr"

## A listening socket. With prot = "tls", TLS ends inside the Keep.
## addr defaults to "::" (every address); port defaults to 443 for tls and 80 for tcp.
# [[files]]
# kind = "listen"
# name = "web"
# prot = "tls" # or "tcp"
# port = 8443

## An outgoing connection, made before the application starts.
## name defaults to host; port defaults to 443 for tls and 80 for tcp.
# [[files]]
# kind = "connect"
# name = "backend"
# prot = "tls" # or "tcp"
# host = "example.com"
# port = 443
`;
