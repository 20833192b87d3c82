/**
 * Entry point of a keep's worker thread (bundled as dist/bundle/keep-worker.mjs).
 */
import { workerMain } from './worker.js';

workerMain();
