import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBackend } from '../../src/backend/index.js';
import { backendSuite } from './suite.js';

backendSuite({ name: 'nil', make: async () => createBackend('nil') });

test('nil: process isolation, no TEE', async () => {
  const info = await createBackend('nil').platformInfo();
  assert.equal(info['tee'], 'none');
  assert.equal(info['isolation'], 'process');
});
