/**
 * Reads one HTTP/1.1 response from the bytes of a connection as they arrive: the status line, the
 * header fields, and a body framed by `content-length`, by chunked transfer coding, or by the end of
 * the connection (RFC 9112 §6.3). No sockets here, so it is tested on responses cut at every byte.
 *
 * Strict where leniency would let a bad response pass for a good one: conflicting lengths, folded
 * header lines and malformed chunk sizes are errors, and a response framed both ways is read by its
 * chunks and its connection not reused (the request-smuggling guard of RFC 9112 §6.1).
 *
 * Bounded in what a server can make it spend: the head, each line, the trailers and the body have a
 * size limit, the body has a chunk limit, and the body is gathered in one buffer grown by doubling, so
 * memory and time stay linear in the bytes received however the body is cut (8 MiB sent in 1-byte
 * chunks once cost 1 GB of memory as a list of 1-byte buffers).
 */

export class HttpProtocolError extends Error {
  override name = 'HttpProtocolError';
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; a field sent more than once has its values joined by `, `. */
  headers: Map<string, string>;
  body: Buffer;
  /** The connection may carry another request: HTTP/1.1 (or 1.0 asking for it), framed, nothing left over. */
  keepAlive: boolean;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE_BYTES = 4 * 1024;
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/**
 * Chunks in one body: 8 MiB in chunks of 512 bytes. aicontent's responses are a few KB in a chunk or a
 * few; a server that cuts its response finer is refused rather than parsed chunk line by chunk line.
 */
export const DEFAULT_MAX_CHUNKS = 16 * 1024;

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,8})[ \t]*(?:;[^\r\n]*)?$/;
const EMPTY = Buffer.alloc(0);

type Phase = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' | 'done';

/**
 * One reader per response: `push` each chunk received; `end` when the connection ends. A chunk may be a
 * buffer the caller overwrites once `push` returns (one it reads into again): what the reader keeps for
 * later it copies, and the body of a complete response is only valid until the next read.
 */
export class HttpResponseReader {
  #pending: Buffer = EMPTY;
  #phase: Phase = 'head';
  #status = 0;
  #headers = new Map<string, string>();
  #keepAlive = false;
  /** The body so far while it is one piece of the caller's chunk (no copy made yet). */
  #view: Buffer | undefined;
  /** Else the body so far: the first `#bodyBytes` bytes of a buffer the reader owns. */
  #body: Buffer = EMPTY;
  #bodyBytes = 0;
  /** The body's size when a `content-length` gave it. */
  #expectedBytes = 0;
  #chunks = 0;
  #trailerBytes = 0;
  /** Bytes still due in the 'length' and 'chunk-data' phases. */
  #remaining = 0;
  readonly #maxBodyBytes: number;
  readonly #maxChunks: number;

  constructor(maxBodyBytes = DEFAULT_MAX_BODY_BYTES, maxChunks = DEFAULT_MAX_CHUNKS) {
    this.#maxBodyBytes = maxBodyBytes;
    this.#maxChunks = maxChunks;
  }

  /** Takes the next bytes; returns the response once it is complete, else undefined. Throws `HttpProtocolError`. */
  push(chunk: Buffer): HttpResponse | undefined {
    if (this.#complete()) throw new HttpProtocolError('bytes after the response was complete');
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (this.#step()) {
      if (this.#complete()) return this.#response();
    }
    this.#keepForLater();
    return undefined;
  }

  /** Copies what still points into the caller's chunk. */
  #keepForLater(): void {
    if (this.#pending.length > 0) this.#pending = Buffer.from(this.#pending);
    if (this.#view) this.#own();
  }

  /** Moves the body into a buffer of the reader's own, with room for `extra` more bytes. */
  #own(extra = 0): void {
    const view = this.#view;
    this.#view = undefined;
    this.#reserve(this.#bodyBytes + extra);
    view?.copy(this.#body, 0);
  }

  /**
   * Grows the body's buffer to hold `bytes` (within the body limit, checked before): to the size a
   * `content-length` gave, else at least doubling, so that copies stay linear in the body's size.
   */
  #reserve(bytes: number): void {
    if (this.#body.length >= bytes) return;
    const doubled = Math.min(this.#maxBodyBytes, this.#body.length * 2);
    const grown = Buffer.allocUnsafe(Math.max(bytes, doubled, this.#expectedBytes));
    this.#body.copy(grown, 0, 0, this.#bodyBytes);
    this.#body = grown;
  }

  /** The connection ended: the response if its end was the body's end, else `HttpProtocolError`. */
  end(): HttpResponse {
    if (this.#phase !== 'close')
      throw new HttpProtocolError('the connection closed before the response was complete');
    this.#phase = 'done';
    return this.#response();
  }

  #complete(): boolean {
    return this.#phase === 'done';
  }

  #response(): HttpResponse {
    // Bytes past the response belong to nothing we asked for: the connection cannot be trusted again.
    const keepAlive = this.#keepAlive && this.#pending.length === 0;
    const body = this.#view ?? this.#body.subarray(0, this.#bodyBytes);
    return { status: this.#status, headers: this.#headers, body, keepAlive };
  }

  /** Moves one phase forward if the bytes at hand allow; false when it must wait for more. */
  #step(): boolean {
    switch (this.#phase) {
      case 'head':
        return this.#readHead();
      case 'length':
      case 'chunk-data':
        return this.#readBody();
      case 'chunk-size':
        return this.#readLine(MAX_CHUNK_LINE_BYTES, (line) => this.#chunkSize(line));
      case 'chunk-end':
        return this.#readLine(2, (line) => {
          if (line !== '') throw new HttpProtocolError('a chunk is longer than its size');
          this.#phase = 'chunk-size';
        });
      case 'trailers':
        // Trailer fields are read past, not kept: nothing we call sends any we need.
        return this.#readLine(MAX_HEAD_BYTES, (line) => {
          this.#trailerBytes += line.length + 2;
          if (this.#trailerBytes > MAX_HEAD_BYTES) throw new HttpProtocolError('the trailers are too large');
          if (line === '') this.#phase = 'done';
        });
      case 'close':
        this.#addBody(this.#pending);
        this.#pending = EMPTY;
        return false;
      case 'done':
        return false;
    }
  }

  #readHead(): boolean {
    const end = this.#pending.indexOf('\r\n\r\n');
    // Checked whether or not the head's end has come, so that how TCP cut the bytes does not matter.
    if (end > MAX_HEAD_BYTES || (end < 0 && this.#pending.length > MAX_HEAD_BYTES + 3)) {
      throw new HttpProtocolError('the response head is too large');
    }
    if (end < 0) return false;
    const lines = this.#pending.toString('latin1', 0, end).split('\r\n');
    this.#pending = this.#pending.subarray(end + 4);
    const match = STATUS_LINE.exec(lines[0] ?? '');
    if (!match) throw new HttpProtocolError(`not an HTTP/1.x status line: ${JSON.stringify(lines[0])}`);
    const status = Number(match[2]);
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) addField(headers, lines[i] as string);
    if (status < 200) {
      if (status === 101) throw new HttpProtocolError('the server switched protocols unasked');
      return true; // an interim response (100 Continue, 103 Early Hints): the real one follows
    }
    this.#status = status;
    this.#headers = headers;
    const connection = tokens(headers.get('connection'));
    this.#keepAlive = match[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    this.#frame(headers);
    return true;
  }

  /** Decides how the body ends (RFC 9112 §6.3). */
  #frame(headers: Map<string, string>): void {
    const coding = headers.get('transfer-encoding');
    const length = headers.get('content-length');
    if (this.#status === 204 || this.#status === 304) {
      this.#phase = 'done';
    } else if (coding !== undefined) {
      if (length !== undefined) this.#keepAlive = false;
      if (tokens(coding).at(-1) === 'chunked') {
        this.#phase = 'chunk-size';
      } else {
        this.#phase = 'close';
        this.#keepAlive = false;
      }
    } else if (length !== undefined) {
      this.#remaining = contentLength(length);
      if (this.#remaining > this.#maxBodyBytes) throw this.#tooLarge();
      this.#expectedBytes = this.#remaining;
      this.#phase = this.#remaining === 0 ? 'done' : 'length';
    } else {
      this.#phase = 'close';
      this.#keepAlive = false;
    }
  }

  #readBody(): boolean {
    if (this.#pending.length === 0) return false;
    const taken = Math.min(this.#remaining, this.#pending.length);
    this.#addBody(this.#pending.subarray(0, taken));
    this.#pending = this.#pending.subarray(taken);
    this.#remaining -= taken;
    if (this.#remaining > 0) return false;
    this.#phase = this.#phase === 'length' ? 'done' : 'chunk-end';
    return true;
  }

  #chunkSize(line: string): void {
    const match = CHUNK_SIZE.exec(line);
    if (!match) throw new HttpProtocolError(`not a chunk size: ${JSON.stringify(line.slice(0, 40))}`);
    this.#remaining = Number.parseInt(match[1] as string, 16);
    if (this.#bodyBytes + this.#remaining > this.#maxBodyBytes) throw this.#tooLarge();
    if (this.#remaining > 0 && ++this.#chunks > this.#maxChunks) {
      throw new HttpProtocolError(`the response body comes in more than ${this.#maxChunks} chunks`);
    }
    this.#phase = this.#remaining === 0 ? 'trailers' : 'chunk-data';
  }

  /** Takes one CRLF-ended line (at most `maxBytes` long) and hands it to `use`. */
  #readLine(maxBytes: number, use: (line: string) => void): boolean {
    const end = this.#pending.indexOf('\r\n');
    if (end < 0 || end > maxBytes) {
      if (end > maxBytes || this.#pending.length > maxBytes + 1) {
        throw new HttpProtocolError('a line of the chunked body is longer than allowed');
      }
      return false;
    }
    const line = this.#pending.toString('latin1', 0, end);
    this.#pending = this.#pending.subarray(end + 2);
    use(line);
    return true;
  }

  /** Adds to the body: the first piece is kept as it is, until more comes or the read ends. */
  #addBody(part: Buffer): void {
    if (part.length === 0) return;
    if (this.#bodyBytes + part.length > this.#maxBodyBytes) throw this.#tooLarge();
    if (this.#bodyBytes === 0 && this.#body === EMPTY) {
      this.#view = part;
    } else {
      if (this.#view) this.#own(part.length);
      else this.#reserve(this.#bodyBytes + part.length);
      part.copy(this.#body, this.#bodyBytes);
    }
    this.#bodyBytes += part.length;
  }

  #tooLarge(): HttpProtocolError {
    return new HttpProtocolError(`the response body is larger than ${this.#maxBodyBytes} bytes`);
  }
}

function addField(headers: Map<string, string>, line: string): void {
  const colon = line.indexOf(':');
  const name = line.slice(0, colon);
  // A line folded onto the previous one (obs-fold) or a name with spaces is refused, not guessed at.
  if (colon <= 0 || !TOKEN.test(name)) {
    throw new HttpProtocolError(`not a header field: ${JSON.stringify(line.slice(0, 40))}`);
  }
  const key = name.toLowerCase();
  const value = line.slice(colon + 1).trim();
  const earlier = headers.get(key);
  headers.set(key, earlier === undefined ? value : `${earlier}, ${value}`);
}

/** A list-valued field's members, lower-cased: `Keep-Alive, Upgrade` → `['keep-alive', 'upgrade']`. */
function tokens(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .toLowerCase()
    .split(',')
    .map((token) => token.trim());
}

/** `content-length`, also sent twice with the same value (`5, 5`); differing values are an error. */
function contentLength(value: string): number {
  const values = new Set(value.split(',').map((part) => part.trim()));
  const [only] = values;
  if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
    throw new HttpProtocolError(`not a valid content-length: ${JSON.stringify(value.slice(0, 40))}`);
  }
  return Number(only);
}
