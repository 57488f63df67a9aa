/**
 * Errors of the real-kernel harness (src/kernel): the harness's branch of the
 * one error family. Every failure the harness can name is a
 * KernelHarnessError (an InfoblockError) with a one-line message and one of
 * the codes below, so the CLI prints `infoblock: <message>` and exits 2
 * without a stack trace, as for any other InfoblockError.
 */
import { InfoblockError, type Hint } from '../format/errors';

export type KernelHarnessErrorCode =
  | 'qemu-missing' // qemu-system-x86_64 not on PATH
  | 'tool-missing' // another host tool (dpkg-deb, apt-get, xz, cp) is missing
  | 'busybox-missing' // no static busybox to put in the initramfs
  | 'kernel-missing' // no kernel package cached and none could be downloaded
  | 'kernel-unknown' // a kernel version the harness does not know
  | 'module-missing' // a required kernel module is not in the modules tree
  | 'bad-image' // image unreadable, empty, or its size unusable by QEMU
  | 'bad-base' // base address QEMU cannot use (alignment, window)
  | 'timeout' // the guest did not power off in time
  | 'qemu-failed' // QEMU exited with an error before the guest reported
  | 'bad-report' // the guest's report is missing or unparseable
  | 'bad-manifest'; // a corpus manifest row that is not a corpus-manifest document

export class KernelHarnessError extends InfoblockError<KernelHarnessErrorCode> {
  constructor(code: KernelHarnessErrorCode, message: string, options: { cause?: unknown; hint?: Hint } = {}) {
    super(code, message, {
      ...(options.cause === undefined ? {} : { cause: options.cause }),
      ...(options.hint === undefined ? {} : { hint: options.hint }),
    });
  }
}

/** The apt command that installs every host tool the harness needs. */
export const APT_INSTALL_HINT = 'apt-get install -y qemu-system-x86 busybox-static cpio';
/** What fixes a missing kernel package: our setup script (it runs apt-get download). */
export const KERNEL_SETUP_HINT = 'bash scripts/kernel/setup.sh';
