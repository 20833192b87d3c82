// Load for the echo figures: CONNS connections to 127.0.0.1:PORT, each sends BYTES in 64 KiB chunks
// while reading the echo back, then half-closes; checks every byte came back. Prints one JSON line
// { bytes, ms, mibPerS } (bytes counted once per direction, summed over both).
// node bench/net/echo-load.mjs tcp|tls PORT CONNS BYTES
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

const [mode, port, conns, bytes] = process.argv.slice(2).map((a, i) => (i === 0 ? a : Number(a)));
const chunk = Buffer.alloc(64 * 1024, 0x5a);

function one() {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port, allowHalfOpen: true };
    const s = mode === 'tls' ? tlsConnect({ ...opts, rejectUnauthorized: false, minVersion: 'TLSv1.3' }) : tcpConnect(opts);
    let got = 0;
    let sent = 0;
    s.on('data', (d) => (got += d.length));
    s.on('end', () => (got === bytes ? resolve() : reject(new Error(`echoed ${got} of ${bytes} bytes`))));
    s.on('error', reject);
    const pump = () => {
      while (sent < bytes) {
        const n = Math.min(chunk.length, bytes - sent);
        sent += n;
        if (!s.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return s.once('drain', pump);
      }
      s.end();
    };
    s.once(mode === 'tls' ? 'secureConnect' : 'connect', pump);
  });
}

const t0 = process.hrtime.bigint();
await Promise.all(Array.from({ length: conns }, one));
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const total = 2 * conns * bytes;
console.log(JSON.stringify({ bytes: total, ms, mibPerS: total / 1048576 / (ms / 1000) }));
