// Load for the steward figures: POSTs each CSR in FILE (each a 4-byte big-endian length, then the
// DER) once to URL, IN_FLIGHT requests at a time over keep-alive connections (the steward refuses
// replayed evidence). Every answer must be 200. Prints one JSON line
// { requests, seconds, perSecond, latenciesMs, responseBytes }.
// node bench/steward/load.mjs URL FILE IN_FLIGHT
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

const [url, file, inFlightText] = process.argv.slice(2);
const inFlight = Number(inFlightText);

function bodies(buf) {
  const out = [];
  for (let at = 0; at < buf.length; ) {
    const n = buf.readUInt32BE(at);
    out.push(buf.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return out;
}

const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
const target = new URL(url);

function post(body) {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: target.hostname, port: target.port, path: '/', method: 'POST', headers: { 'Content-Type': 'application/pkcs10', 'Content-Length': body.length } },
      (res) => {
        let bytes = 0;
        let text = '';
        res.on('data', (d) => {
          bytes += d.length;
          if (res.statusCode !== 200) text += d;
        });
        res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const all = bodies(readFileSync(file));
const latenciesMs = [];
let next = 0;
let responseBytes = 0;
const t0 = performance.now();

async function worker() {
  while (next < all.length) {
    const body = all[next++];
    const s = performance.now();
    responseBytes = await post(body);
    latenciesMs.push(performance.now() - s);
  }
}

await Promise.all(Array.from({ length: inFlight }, worker));
const elapsed = (performance.now() - t0) / 1000;
agent.destroy();
console.log(JSON.stringify({ requests: latenciesMs.length, seconds: elapsed, perSecond: latenciesMs.length / elapsed, latenciesMs, responseBytes }));
