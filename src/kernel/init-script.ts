/**
 * The guest's /init (a busybox sh script) and the markers of the report it
 * prints on the serial console. The script loads the nvdimm modules, waits
 * until every expected region exists and the nd bus has finished probing,
 * dumps sysfs and the kernel log between the markers, and powers off.
 *
 * Report format (one record per line, sections introduced by `%name`):
 *   %nd     `<dev>/<attr>:<value>` for the nd bus devices (grep -H output)
 *   %block  `/sys/devices/.../<parent>/block/pmemN` (realpath of /sys/block/*),
 *           then `pmemN/size:<512-byte sectors>`
 *   %dax    realpath of /sys/bus/dax/devices/*, then `daxX.Y/<attr>:<value>`
 *   %first  for each /dev/pmem* block device: `@pmemN`, then `od -Ax -tx1 -N2048`
 *           of it (hex offset + 16 bytes a line, `*` for repeated lines, the
 *           end offset alone on the last line)
 *   %dmesg  the kernel log since just before the first insmod
 *   %insmod `<module> failed` for a module that did not load
 */

export const REPORT_BEGIN = '@@ND-INFOBLOCK-REPORT-BEGIN v1@@';
export const REPORT_END = '@@ND-INFOBLOCK-REPORT-END@@';
/** Markers of the DAX section a DAX guest prints after the report (src/kernel/dax.ts parses it). */
export const DAX_BEGIN = '@@ND-INFOBLOCK-DAX-BEGIN v1@@';
export const DAX_END = '@@ND-INFOBLOCK-DAX-END@@';
/** Where the DAX guest finds its probe program. */
export const DAX_PROBE_PATH = '/bin/ndib-dax-probe';
/** Kernel command-line key: `read` or `write`, the DAX probe's mode (absent: no DAX probe). */
export const DAX_PARAM = 'ndib.dax';
/** How many bytes of every block device the guest reports (%first). */
export const FIRST_BYTES = 2048;
/** Kernel command-line key telling the guest how many regions to wait for. */
export const REGIONS_PARAM = 'ndib.regions';

const ND_ATTRS = [
  'devtype',
  'mode',
  'resource',
  'size',
  'align',
  'uuid',
  'holder',
  'namespace',
  'uevent',
  'force_raw',
  'alt_name',
  'set_cookie', // labelled DIMMs: the label's name, the region's interleave-set cookie
];
const DAX_ATTRS = ['size', 'resource', 'align'];

/**
 * The DAX section (after the report, so that a crash while probing leaves the report intact): for every
 * fsdax block device (a pmem whose parent is a pfn device) and every partition of one (pmemNpM, its
 * `start=` the partition's byte offset in the device, as a Kata-style image has) the filesystem at its
 * start is mounted with `-o dax` and probed; every devdax character device is mapped and digested.
 * Each namespace starts with an `ns` record, so a crash names the namespace it happened on; its kernel
 * lines follow as `kmsg`.
 * Nothing is unmounted: after a write through a misplaced mapping the filesystem's metadata may be
 * overwritten, and xfs can then wait forever in umount (observed on 7.2); the guest powers off instead.
 */
function daxSection(): string {
  const p = DAX_PROBE_PATH;
  return `echo "${DAX_BEGIN}"
daxmode=$(sed -n 's/.*${DAX_PARAM}=\\([a-z]*\\).*/\\1/p' /proc/cmdline)
dmesg -c > /dev/null
echo "ndib-dax clock dev=begin up=$(cut -d' ' -f1 /proc/uptime)"
for b in /dev/pmem*; do
  [ -b "$b" ] || continue
  n=\${b#/dev/}
  disk=$n
  start=0
  if [ -e /sys/class/block/$n/partition ]; then
    disk=$(basename "$(dirname "$(realpath /sys/class/block/$n)")")
    start=$(($(cat /sys/class/block/$n/start) * 512))
  fi
  parent=$(basename "$(dirname "$(dirname "$(realpath /sys/block/$disk)")")")
  case "$parent" in pfn*) ;; *) continue ;; esac
  fs=$(${p} detect "$b")
  echo "ndib-dax ns dev=$n parent=$parent fs=$fs start=$start"
  if [ "$fs" = ext4 ] || [ "$fs" = xfs ]; then
    mkdir -p /mnt/$n
    # xfs refuses a second filesystem with the same uuid (two copies of one image, before and after):
    # nouuid mounts each copy.
    opts=dax
    [ "$fs" = xfs ] && opts=dax,nouuid
    if err=$(mount -t $fs -o $opts "$b" /mnt/$n 2>&1); then
      echo "ndib-dax mount dev=$n rc=0 opts=$(grep "^$b " /proc/mounts | cut -d' ' -f4)"
      ${p} fs $n /mnt/$n $daxmode
    else
      echo "ndib-dax mount dev=$n rc=1 err=$(echo "$err" | tr '\\n' ' ')"
    fi
  fi
  dmesg -c | sed "s/^/ndib-dax kmsg dev=$n /"
  echo "ndib-dax done dev=$n"
done
for d in /dev/dax*; do
  [ -c "$d" ] || continue
  n=\${d#/dev/}
  echo "ndib-dax ns dev=$n parent=$(basename "$(dirname "$(realpath /sys/bus/dax/devices/$n)")") fs=devdax"
  ${p} devdax $n "$d"
  dmesg -c | sed "s/^/ndib-dax kmsg dev=$n /"
  echo "ndib-dax done dev=$n"
done
echo "ndib-dax clock dev=end up=$(cut -d' ' -f1 /proc/uptime)"
echo "${DAX_END}"
`;
}

/**
 * The /init script for a guest that loads `modules` (bare names, in order); with `withDax`, the DAX section
 * follows the report (the initramfs then holds the probe program and the filesystem modules).
 */
export function guestInitScript(modules: readonly string[], withDax = false): string {
  for (const m of modules) {
    if (!/^[A-Za-z0-9_-]+$/.test(m)) throw new Error(`unsafe module name: ${m}`);
  }
  const nd = ND_ATTRS.map((a) => `*/${a}`).join(' ');
  const dax = DAX_ATTRS.map((a) => `*/${a}`).join(' ');
  return `#!/bin/busybox sh
# nd-infoblock kernel harness: guest init (generated; see src/kernel/init-script.ts)
/bin/busybox mkdir -p /proc /sys /dev /tmp
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# Keep kernel messages off the serial console (they would interleave with the
# report), except EMERG/ALERT: the headline of an oops or panic.
echo 2 > /proc/sys/kernel/printk
want=$(sed -n 's/.*${REGIONS_PARAM}=\\([0-9]*\\).*/\\1/p' /proc/cmdline)
dmesg -c > /dev/null
failed=""
for m in ${modules.join(' ')}; do
  insmod /lib/modules/$m.ko 2>/dev/null || failed="$failed $m"
done
# Settle: every region and its (label-less: single) namespace registered, the
# nd bus's asynchronous registrations and probes flushed (wait_probe), and the
# device lists unchanged over three consecutive flushes.
i=0
while [ $i -lt 300 ]; do
  r=$(ls -d /sys/bus/nd/devices/region* 2>/dev/null | wc -l)
  n=$(ls -d /sys/bus/nd/devices/namespace* 2>/dev/null | wc -l)
  [ "$r" -ge "\${want:-0}" ] && [ "$n" -ge "\${want:-0}" ] && break
  i=$((i+1)); sleep 0.1
done
prev=""
same=0
i=0
while [ $i -lt 150 ]; do
  cat /sys/bus/nd/devices/ndbus*/wait_probe > /dev/null 2>&1
  cat /sys/bus/nd/devices/namespace*/holder > /dev/null 2>&1
  cur=$(ls /sys/bus/nd/devices /sys/bus/dax/devices /sys/block 2>/dev/null)
  if [ "$cur" = "$prev" ]; then same=$((same+1)); else same=0; fi
  [ $same -ge 2 ] && break
  prev="$cur"; i=$((i+1)); sleep 0.1
done
echo "${REPORT_BEGIN}"
echo "%insmod"
for m in $failed; do echo "$m failed"; done
echo "%nd"
if cd /sys/bus/nd/devices 2>/dev/null; then grep -H . ${nd} 2>/dev/null; fi
echo "%block"
realpath /sys/block/* 2>/dev/null
if cd /sys/block 2>/dev/null; then grep -H . pmem*/size 2>/dev/null; fi
echo "%first"
for b in /dev/pmem*; do
  [ -b "$b" ] || continue
  echo "@\${b#/dev/}"
  od -Ax -tx1 -N${FIRST_BYTES} "$b" 2>/dev/null
done
echo "%dax"
realpath /sys/bus/dax/devices/* 2>/dev/null
if cd /sys/bus/dax/devices 2>/dev/null; then grep -H . ${dax} 2>/dev/null; fi
echo "%dmesg"
dmesg
echo "${REPORT_END}"
${withDax ? daxSection() : ''}# Let the tty and QEMU's serial backend drain before the power goes: poweroff -f
# does not wait for queued console output (a 200-image report is ~260 KB).
sleep 1
poweroff -f
`;
}
