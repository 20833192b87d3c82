/**
 * The keep runtime's entry point (main thread), the root of the measured bundle
 * dist/bundle/keep.mjs. The worker thread starts from dist/bundle/keep-worker.mjs.
 */
import { keepMain } from './main.js';

keepMain(new URL('./keep-worker.mjs', import.meta.url));
