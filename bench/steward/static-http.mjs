// The transport peer of the steward's throughput: a plain Node.js HTTP server (node:http, one
// thread, keep-alive) that reads each request's body and answers a static 2 KB body (the steward
// answers a chain of ~1.6 KB). Prints its URL when it listens; runs until killed.
// node bench/steward/static-http.mjs
import { createServer } from 'node:http';

const body = Buffer.alloc(2048, 0x61);
const server = createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/pkix-pkipath', 'Content-Length': body.length }).end(body));
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
