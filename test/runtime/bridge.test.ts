import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createBridgeBuffer, serveBridge } from '../../src/runtime/bridge.js';

const WORKER = `
  const { parentPort, workerData } = require('node:worker_threads');
  const { BridgeClient } = await import(workerData.module);
  const client = new BridgeClient(workerData.buffer, parentPort);
  const results = [];
  results.push(client.call('echo', new TextEncoder().encode('hello')));
  const t0 = Date.now();
  results.push(client.call('later', new Uint8Array([7])));
  const waited = Date.now() - t0;
  results.push(client.call('nope'));
  results.push(client.call('fails'));
  parentPort.postMessage({ done: results.map((r) => [r.status, [...r.data]]), waited });
`;

test('a worker blocks on the bridge while the main thread serves it asynchronously', async () => {
  const buffer = createBridgeBuffer(1024);
  const module = new URL('../../src/runtime/bridge.js', import.meta.url).href;
  const worker = new Worker(`(async () => { ${WORKER} })()`, { eval: true, workerData: { buffer, module } });
  serveBridge(worker, buffer, {
    echo: (p) => ({ status: 0, data: p }),
    // A reply that needs the event loop: a timer.
    later: (p) => new Promise((resolve) => setTimeout(() => resolve({ status: 3, data: Uint8Array.from([p[0]! * 2]) }), 30)),
    fails: () => Promise.reject(new Error('boom')),
  });
  const msg = await new Promise<{ done: [number, number[]][]; waited: number }>((resolve, reject) => {
    worker.on('message', (m) => {
      if (m && typeof m === 'object' && 'done' in m) resolve(m);
    });
    worker.on('error', reject);
  });
  await worker.terminate();
  assert.deepEqual(msg.done, [
    [0, [...Buffer.from('hello')]],
    [3, [14]],
    [-1, []],
    [-2, []],
  ]);
  assert.ok(msg.waited >= 25, `worker waited for the timer (${msg.waited} ms)`);
});
