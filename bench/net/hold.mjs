// Holds N TLS (or TCP with "tcp" as a third argument) connections to 127.0.0.1:PORT, each echoed
// once (one byte out, the same byte back), and prints {"held": N} once all are; ends them when
// its stdin ends. node bench/net/hold.mjs PORT N [tcp]
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

const [port, n, mode] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4] ?? 'tls'];
const sockets = [];
function one() {
  return new Promise((resolve, reject) => {
    const opts = { host: '127.0.0.1', port };
    const s = mode === 'tls' ? tlsConnect({ ...opts, rejectUnauthorized: false }) : tcpConnect(opts);
    sockets.push(s);
    s.once(mode === 'tls' ? 'secureConnect' : 'connect', () => s.write('x'));
    s.once('data', () => resolve());
    s.once('error', reject);
  });
}
// A few at a time: a burst of thousands of handshakes measures the handshake, not holding.
for (let i = 0; i < n; i += 64) await Promise.all(Array.from({ length: Math.min(64, n - i) }, one));
console.log(JSON.stringify({ held: n }));
process.stdin.resume();
process.stdin.on('end', () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
