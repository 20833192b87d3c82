/** The `snp` backend: SEV-SNP reports through configfs-tsm (see ./profile.ts). */
import { TsmBackend, type TsmBackendOptions } from '../tsm/backend.js';
import { SNP_PROFILE } from './profile.js';

/** SEV-SNP guest attestation through configfs-tsm's `sev_guest` provider. */
export class SnpBackend extends TsmBackend {
  constructor(opts: TsmBackendOptions) {
    super(SNP_PROFILE, opts);
  }
}
