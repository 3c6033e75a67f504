/**
 * One POST, sent only to addresses that passed the check, and connected to exactly the addresses
 * checked. The host is resolved once; every address it resolves to must be public unicast
 * (address.ts), or the request is refused: a name that also points inward is not used. The connection
 * then gets those addresses through `lookup`, so no second lookup can resolve differently (DNS
 * rebinding). TLS still verifies the certificate for, and sends as SNI, the host name.
 *
 * `fetch` cannot be told where to connect, hence `node:http`/`node:https`, loaded on first use (only
 * webhooks need them: the functions' start stays small). No connection is reused: each POST checks its
 * own addresses.
 */
import { isIP, type LookupFunction } from 'node:net';
import { untilAborted } from '#shared/abort.ts';
import { type AddressKind, hostOf, kindOfAddress } from './address.ts';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** A host name's addresses, as `dns.promises.lookup(name, {all: true})` gives them. */
export type Resolve = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** The system resolver (what `fetch` and `http.request` would have asked). */
export const systemResolve: Resolve = async (hostname) =>
  (await import('node:dns')).promises.lookup(hostname, { all: true });

/** The host is, or resolves to, an address that is not allowed. */
export class AddressRefusedError extends Error {
  override name = 'AddressRefusedError';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly kind: AddressKind | 'none',
  ) {
    super(
      kind === 'none'
        ? `${host} resolves to no address`
        : `${host} ${host === address ? 'is' : `resolves to ${address},`} a ${kind} address, not a public one`,
    );
  }
}

export interface CheckedPostOptions {
  headers: Readonly<Record<string, string>>;
  body: string;
  signal: AbortSignal;
  /** Skip the address check (local runs, where the receiver is on loopback). */
  allowPrivateAddresses?: boolean | undefined;
  resolve?: Resolve | undefined;
  /** For https: the CA to trust instead of the system's (tests, with a certificate of their own). */
  ca?: string | undefined;
}

export interface PostResponse {
  status: number;
  /** A response header by lower-case name. */
  header(name: string): string | undefined;
}

/** The addresses to connect to; throws `AddressRefusedError` unless every one is allowed. */
async function checkedAddresses(host: string, options: CheckedPostOptions): Promise<ResolvedAddress[]> {
  const family = isIP(host);
  // A lookup takes no signal: the attempt's time limit must still end the wait for it.
  const addresses = family
    ? [{ address: host, family }]
    : [...(await untilAborted((options.resolve ?? systemResolve)(host), options.signal))];
  if (addresses.length === 0) throw new AddressRefusedError(host, '', 'none');
  if (options.allowPrivateAddresses) return addresses;
  for (const { address } of addresses) {
    const kind = kindOfAddress(address) ?? 'reserved';
    if (kind !== 'public') throw new AddressRefusedError(host, address, kind);
  }
  return addresses;
}

/** A `lookup` that gives only the addresses already checked. */
function pinned(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all)
      callback(
        null,
        addresses.map(({ address, family }) => ({ address, family })),
      );
    else callback(null, addresses[0]?.address ?? '', addresses[0]?.family ?? 4);
  };
}

/**
 * POSTs `body` to `url` and resolves with the response's status and headers as soon as they come (the
 * response's body means nothing here and is not read). Throws `AddressRefusedError` before connecting
 * to an address not allowed, and whatever the connection throws (DNS, refused, reset, aborted…).
 */
export async function checkedPost(url: URL, options: CheckedPostOptions): Promise<PostResponse> {
  const host = hostOf(url);
  const addresses = await checkedAddresses(host, options);
  options.signal.throwIfAborted();
  const secure = url.protocol === 'https:';
  const { request } = secure ? await import('node:https') : await import('node:http');
  return new Promise((resolve, reject) => {
    const sent = request(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: host,
        port: url.port || (secure ? 443 : 80),
        path: `${url.pathname}${url.search}`,
        headers: {
          ...options.headers,
          host: url.host,
          'content-length': String(Buffer.byteLength(options.body, 'utf8')),
        },
        agent: false,
        signal: options.signal,
        lookup: pinned(addresses),
        ...(secure ? { servername: isIP(host) ? undefined : host, ca: options.ca } : {}),
      },
      (response) => {
        const headers = response.headers;
        resolve({
          status: response.statusCode ?? 0,
          header: (name) => {
            const value = headers[name];
            return Array.isArray(value) ? value.join(', ') : value;
          },
        });
        response.destroy();
      },
    );
    sent.on('error', reject);
    sent.end(options.body, 'utf8');
  });
}
