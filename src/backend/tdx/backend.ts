/** The `tdx` backend: TDX quotes through configfs-tsm (see ./profile.ts). */
import { TsmBackend, type TsmBackendOptions } from '../tsm/backend.js';
import { TDX_PROFILE } from './profile.js';

/** TDX guest attestation through configfs-tsm's `tdx_guest` provider. */
export class TdxBackend extends TsmBackend {
  constructor(opts: TsmBackendOptions) {
    super(TDX_PROFILE, opts);
  }
}
