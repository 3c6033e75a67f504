/**
 * Where an embedded (SQLite) job store may live. On Function Compute an instance's own disk is neither
 * shared with the other instances nor kept when the instance is recycled, so a database file there
 * would silently split the jobs between instances and then lose them. On FC the file must therefore be
 * on a network mount: File Storage NAS, mounted with `nasConfig` in s.yaml (fc-runtime.md §7) at its
 * `mountDir`, which the instance sees as an NFS mount in /proc/mounts.
 *
 * A network file system also changes how SQLite must be run: WAL needs shared memory between the
 * processes using the file, which NFS cannot provide across machines, so a database on NAS uses the
 * rollback journal (journal_mode DELETE) and relies on the NFS server's POSIX locks. That is slower and
 * suits small deployments only (a few sweepers, thousands of jobs); beyond that use Redis / Tair.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { envBool } from '#shared/config.ts';
import { ConfigError } from '#shared/errors.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** One line of /proc/mounts. */
export interface MountEntry {
  source: string;
  mountPoint: string;
  fsType: string;
  options: string[];
}

/** File systems that several machines share: NAS (NFS, or SMB) and friends. */
const NETWORK_FS_TYPES = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs']);

/**
 * Lets the embedded store use local disk although FC variables are set. Only for runtimes that imitate
 * FC on one machine (the local runtime sets FC_FUNCTION_NAME and FC_INSTANCE_ID); never in the cloud.
 */
export const ALLOW_LOCAL_DISK_VAR = 'JOB_STORE_ALLOW_LOCAL_DISK';

/** Whether this process runs as an FC function instance (fc-runtime.md §5). */
export function runningOnFc(env: Env): boolean {
  return Boolean(env.FC_FUNCTION_NAME || env.FC_INSTANCE_ID);
}

/** Parses /proc/mounts text; fields escape space, tab, newline and backslash as octal (`\040`). */
export function parseMounts(text: string): MountEntry[] {
  const decode = (field: string) =>
    field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
  return text.split('\n').flatMap((line) => {
    const [source, mountPoint, fsType, options] = line.trim().split(/\s+/);
    if (!source || !mountPoint || !fsType) return [];
    return [{ source, mountPoint: decode(mountPoint), fsType, options: options?.split(',') ?? [] }];
  });
}

/** The mount holding `path` (absolute): the longest mount point that contains it; the last one if stacked. */
export function mountOf(path: string, mounts: readonly MountEntry[]): MountEntry | null {
  let best: MountEntry | null = null;
  for (const mount of mounts) {
    const prefix = mount.mountPoint.endsWith('/') ? mount.mountPoint : `${mount.mountPoint}/`;
    const contains = path === mount.mountPoint || path.startsWith(prefix);
    if (contains && (!best || mount.mountPoint.length >= best.mountPoint.length)) best = mount;
  }
  return best;
}

export function isNetworkMount(mount: MountEntry | null): boolean {
  return mount !== null && NETWORK_FS_TYPES.has(mount.fsType);
}

/** NFS mounted with `nolock` (shown as `local_lock=all`) keeps locks on the client: other machines never see them. */
function locksStayLocal(mount: MountEntry): boolean {
  return mount.options.some((option) => ['nolock', 'local_lock=all', 'local_lock=posix'].includes(option));
}

function readMounts(): string {
  try {
    return readFileSync('/proc/mounts', 'utf8');
  } catch {
    return ''; // not Linux: no mount is known to be a network one
  }
}

export interface EmbeddedPathCheck {
  /** The mount holding the file, when known. */
  mount: MountEntry | null;
  /** Whether that mount is a network file system (the store then uses journal_mode DELETE, not WAL). */
  network: boolean;
}

const ADVICE =
  'Mount File Storage NAS with `nasConfig` in s.yaml and put the database file under its `mountDir` ' +
  '(e.g. JOB_STORE_URL=file:/mnt/nas/aicontent-jobs.db; small deployments only), ' +
  'or set JOB_STORE_URL=redis://… (ApsaraDB for Redis / Tair).';

/**
 * Refuses (ConfigError) an embedded database at `path` when running on FC unless it lies on a network
 * mount whose locks reach the server; says where the file is. `mountsText` defaults to /proc/mounts.
 */
export function assertDurableEmbeddedPath(
  path: string,
  env: Env,
  mountsText: string = readMounts(),
): EmbeddedPathCheck {
  const absolute = resolve(path);
  const mount = mountOf(absolute, parseMounts(mountsText));
  const network = isNetworkMount(mount);
  if (!runningOnFc(env) || envBool(env, ALLOW_LOCAL_DISK_VAR, false)) return { mount, network };
  const where = mount ? `${mount.fsType} mounted at ${mount.mountPoint}` : 'no known mount';
  if (!mount || !network) {
    throw new ConfigError(
      `The embedded job store ${absolute} is on this Function Compute instance's own disk (${where}), ` +
        'which is neither shared between instances nor kept when an instance is recycled: jobs would be ' +
        `lost. ${ADVICE}`,
    );
  }
  if (locksStayLocal(mount)) {
    throw new ConfigError(
      `The embedded job store ${absolute} is on ${where} without server-side locks ` +
        `(${mount.options.filter((option) => /lock/.test(option)).join(',')}), so instances could corrupt ` +
        `it. ${ADVICE}`,
    );
  }
  return { mount, network };
}
