/*
 * An echo server in plain Rust std, on a keep's pre-opened listening socket (fd 3): what an
 * unmodified Rust program does with it. `net_echo_rs [N]` (N ≥ 1, default 1) serves exactly N
 * connections, one after the other: `TcpListener::from_raw_fd(3)`, `accept()`, then `read` and
 * `write_all` on the `TcpStream` (through a 64 KiB buffer) until the peer's end of stream, then
 * `shutdown(Shutdown::Write)` and close. After the N-th connection it prints
 *   rust echo: N connections, B bytes
 * (B = bytes echoed over all connections) to stdout and exits 0.
 *
 * Any error is fatal: "net_echo_rs: fd F: <call>: <io::Error>" on stderr, exit 1 (no fd 3: the
 * first accept fails with EBADF). A bad argument exits 2.
 *
 * Built by build.sh with Debian 12's rustc 1.63 and its wasm32-wasi std (libstd-rust-dev-wasm32).
 * That std implements `TcpListener::accept` with `sock_accept` (blocking; the peer address it
 * returns is always 0.0.0.0:0, as WASI preview1 gives none), `read`/`write` with
 * `fd_read`/`fd_write`, but `TcpStream::shutdown` returns `ErrorKind::Unsupported` without a
 * call. So `shutdown_write` tries std first and then calls `sock_shutdown` itself, through the
 * import below; with a std that implements it, the fallback is never reached.
 *
 * Calls: sock_accept, fd_read, fd_write, sock_shutdown, fd_close; from std itself, args_*,
 * environ_* and proc_exit.
 */
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::wasi::io::{AsRawFd, FromRawFd};
use std::process::exit;

const LISTEN_FD: i32 = 3;
const BUF_SIZE: usize = 64 * 1024;
/// WASI preview1 `sdflags::wr`.
const SDFLAGS_WR: u32 = 2;

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    /// `sock_shutdown(fd: fd, how: sdflags) -> errno`, as the wasm ABI passes it.
    #[link_name = "sock_shutdown"]
    fn wasi_sock_shutdown(fd: u32, how: u32) -> u32;
}

fn fail(fd: i32, call: &str, err: io::Error) -> ! {
    eprintln!("net_echo_rs: fd {}: {}: {}", fd, call, err);
    exit(1);
}

/// `stream.shutdown(Shutdown::Write)`, or `sock_shutdown(fd, SDFLAGS_WR)` where std has none.
fn shutdown_write(stream: &TcpStream) -> io::Result<()> {
    match stream.shutdown(Shutdown::Write) {
        Err(e) if e.kind() == ErrorKind::Unsupported => {
            let errno = unsafe { wasi_sock_shutdown(stream.as_raw_fd() as u32, SDFLAGS_WR) };
            if errno == 0 {
                Ok(())
            } else {
                Err(io::Error::from_raw_os_error(errno as i32))
            }
        }
        other => other,
    }
}

/// Echoes `stream` until its end of stream, then shuts down writing; returns the bytes echoed.
fn echo(mut stream: TcpStream, buf: &mut [u8]) -> u64 {
    let fd = stream.as_raw_fd();
    let mut echoed = 0u64;
    loop {
        let n = match stream.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => fail(fd, "read", e),
        };
        if let Err(e) = stream.write_all(&buf[..n]) {
            fail(fd, "write_all", e);
        }
        echoed += n as u64;
    }
    if let Err(e) = shutdown_write(&stream) {
        fail(fd, "shutdown(Write)", e);
    }
    echoed // the stream is closed here (fd_close)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: u64 = match args.get(1).map(|a| a.parse::<u64>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 && args.len() == 2 => n,
        _ => {
            eprintln!("usage: net_echo_rs [CONNECTIONS]   (a number >= 1, default 1)");
            exit(2);
        }
    };
    let listener = unsafe { TcpListener::from_raw_fd(LISTEN_FD) };
    let mut buf = vec![0u8; BUF_SIZE];
    let mut bytes = 0u64;
    for _ in 0..n {
        let stream = loop {
            match listener.accept() {
                Ok((stream, _peer)) => break stream,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => fail(LISTEN_FD, "accept", e),
            }
        };
        bytes += echo(stream, &mut buf);
    }
    println!("rust echo: {} connections, {} bytes", n, bytes);
}
