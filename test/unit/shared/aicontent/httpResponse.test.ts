/** The HTTP/1.1 response reader on its own: bytes in, one response (or an HttpProtocolError) out. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_CHUNKS,
  HttpProtocolError,
  type HttpResponse,
  HttpResponseReader,
} from '#shared/aicontent/httpResponse.ts';

const bytes = (text: string | Buffer) => (typeof text === 'string' ? Buffer.from(text, 'latin1') : text);

/** Pushes `text` whole; with `end`, then ends the connection. Throws what the reader throws. */
function read(text: string | Buffer, options: { end?: boolean; maxBodyBytes?: number } = {}) {
  const reader = new HttpResponseReader(options.maxBodyBytes);
  const response = reader.push(bytes(text));
  if (options.end) {
    expect(response).toBeUndefined();
    return reader.end();
  }
  if (!response) throw new Error('the response is not complete');
  return response;
}

/** What a response says, in a form `toEqual` compares: headers as an object, the body as text. */
function plain(response: HttpResponse) {
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: response.body.toString('utf8'),
    keepAlive: response.keepAlive,
  };
}

const head = (...lines: string[]) => `${lines.join('\r\n')}\r\n\r\n`;

describe('HttpResponseReader: bodies', () => {
  it('reads a body framed by content-length', () => {
    const response = read(`${head('HTTP/1.1 200 OK', 'Content-Type: text/plain', 'Content-Length: 5')}hello`);
    expect(plain(response)).toEqual({
      status: 200,
      headers: { 'content-type': 'text/plain', 'content-length': '5' },
      body: 'hello',
      keepAlive: true,
    });
  });

  it('waits for the whole content-length before answering', () => {
    const reader = new HttpResponseReader();
    expect(reader.push(bytes(head('HTTP/1.1 200 OK', 'content-length: 10')))).toBeUndefined();
    expect(reader.push(bytes('01234'))).toBeUndefined();
    expect(reader.push(bytes('56789'))?.body.toString()).toBe('0123456789');
  });

  it('reads an empty body of content-length 0 at once', () => {
    const response = read(head('HTTP/1.1 200 OK', 'content-length: 0'));
    expect(response.body).toHaveLength(0);
    expect(response.keepAlive).toBe(true);
  });

  it('reads a chunked body, with chunk extensions, upper-case hex sizes and trailers', () => {
    const response = read(
      head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked') +
        '5;name=value\r\nhello\r\n' +
        '1 ; odd="ext"\r\n \r\n' +
        'A\r\n0123456789\r\n' +
        '0\r\nx-checksum: fake\r\nx-other: also-fake\r\n\r\n',
    );
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('hello 0123456789');
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    expect(response.keepAlive).toBe(true);
  });

  it('reads a chunked body without trailers, and an empty one', () => {
    expect(
      read(`${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}3\r\nabc\r\n0\r\n\r\n`).body.toString(),
    ).toBe('abc');
    const empty = read(`${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}0\r\n\r\n`);
    expect(empty.body).toHaveLength(0);
    expect(empty.keepAlive).toBe(true);
  });

  it('reads chunked when chunked is the last coding (gzip, chunked)', () => {
    const response = read(
      `${head('HTTP/1.1 200 OK', 'transfer-encoding: gzip, chunked')}2\r\nxy\r\n0\r\n\r\n`,
    );
    expect(response.body.toString()).toBe('xy');
    expect(response.keepAlive).toBe(true);
  });

  it('reads a body framed by the end of the connection', () => {
    const reader = new HttpResponseReader();
    expect(reader.push(bytes(head('HTTP/1.1 200 OK', 'content-type: text/plain')))).toBeUndefined();
    expect(reader.push(bytes('first part, '))).toBeUndefined();
    expect(reader.push(bytes('second part'))).toBeUndefined();
    const response = reader.end();
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe('first part, second part');
    expect(response.keepAlive).toBe(false);
  });

  it('reads to the end of the connection when the last coding is not chunked', () => {
    const response = read(`${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked, gzip')}raw bytes`, {
      end: true,
    });
    expect(response.body.toString()).toBe('raw bytes');
    expect(response.keepAlive).toBe(false);
  });

  it('keeps the body as bytes: UTF-8 split across pushes is intact', () => {
    const text = Buffer.from('中文内容', 'utf8');
    const reader = new HttpResponseReader();
    reader.push(bytes(head('HTTP/1.1 200 OK', `content-length: ${text.length}`)));
    expect(reader.push(text.subarray(0, 4))).toBeUndefined();
    expect(reader.push(text.subarray(4))?.body.toString('utf8')).toBe('中文内容');
  });

  it.each([204, 304])('reads no body for %i, whatever the headers say', (status) => {
    const response = read(head(`HTTP/1.1 ${status} No Body`, 'content-length: 100'));
    expect(response.status).toBe(status);
    expect(response.body).toHaveLength(0);
    expect(response.keepAlive).toBe(true);
  });

  it.each([
    ['content-length', `${head('HTTP/1.1 200 OK', 'content-length: 10')}0123456789`, false],
    [
      'chunked',
      `${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}4\r\n0123\r\n6\r\n456789\r\n0\r\n\r\n`,
      false,
    ],
    ['the end of the connection', `${head('HTTP/1.1 200 OK')}0123456789`, true],
  ])('copies what it keeps between pushes: the caller may reuse its buffer (%s)', (_, text, end) => {
    // As a buffer read into again: every read lands in the same bytes.
    const shared = Buffer.alloc(text.length);
    const reader = new HttpResponseReader();
    let response: HttpResponse | undefined;
    for (let at = 0; at < text.length; at += 7) {
      const piece = text.slice(at, at + 7);
      shared.fill('#');
      shared.write(piece, 'latin1');
      response = reader.push(shared.subarray(0, piece.length));
    }
    if (end) response = reader.end();
    expect(response?.body.toString('latin1')).toBe('0123456789');
  });

  it('skips interim 1xx answers and returns the final one', () => {
    const response = read(
      head('HTTP/1.1 100 Continue') +
        head('HTTP/1.1 103 Early Hints', 'link: </fake.css>; rel=preload') +
        head('HTTP/1.1 200 OK', 'content-length: 2', 'x-final: yes') +
        'ok',
    );
    expect(plain(response)).toEqual({
      status: 200,
      headers: { 'content-length': '2', 'x-final': 'yes' },
      body: 'ok',
      keepAlive: true,
    });
  });

  it('waits after an interim response for the final one', () => {
    const reader = new HttpResponseReader();
    expect(reader.push(bytes(head('HTTP/1.1 100 Continue')))).toBeUndefined();
    expect(reader.push(bytes(`${head('HTTP/1.1 201 Created', 'content-length: 0')}`))?.status).toBe(201);
  });

  it('refuses 101 Switching Protocols', () => {
    expect(() => read(head('HTTP/1.1 101 Switching Protocols', 'upgrade: websocket'))).toThrow(
      HttpProtocolError,
    );
  });

  it('accepts a status line without a reason phrase, and any 2xx-5xx status', () => {
    expect(read(head('HTTP/1.1 503', 'content-length: 0')).status).toBe(503);
    expect(read(head('HTTP/1.1 299 Whatever it likes', 'content-length: 0')).status).toBe(299);
  });
});

describe('HttpResponseReader: header fields', () => {
  it('lower-cases names and trims values', () => {
    const response = read(
      head('HTTP/1.1 200 OK', 'X-Request-ID:   REQ-FAKE-1  ', 'CONTENT-LENGTH:0', 'Empty:'),
    );
    expect(Object.fromEntries(response.headers)).toEqual({
      'x-request-id': 'REQ-FAKE-1',
      'content-length': '0',
      empty: '',
    });
  });

  it('joins a field sent more than once with ", "', () => {
    const response = read(
      head(
        'HTTP/1.1 200 OK',
        'Vary: accept',
        'Set-Cookie: a=1',
        'vary: origin',
        'set-cookie: b=2',
        'content-length: 0',
      ),
    );
    expect(response.headers.get('vary')).toBe('accept, origin');
    expect(response.headers.get('set-cookie')).toBe('a=1, b=2');
  });

  it('keeps a colon inside the value', () => {
    const response = read(head('HTTP/1.1 200 OK', 'location: http://fake.test:8080/x', 'content-length: 0'));
    expect(response.headers.get('location')).toBe('http://fake.test:8080/x');
  });
});

describe('HttpResponseReader: keepAlive', () => {
  const keepAlive = (text: string, end = false) => read(text, { end }).keepAlive;

  it('is yes for HTTP/1.1 by default', () => {
    expect(keepAlive(head('HTTP/1.1 200 OK', 'content-length: 0'))).toBe(true);
  });

  it('is no for HTTP/1.1 with connection: close, in any case and among other tokens', () => {
    expect(keepAlive(head('HTTP/1.1 200 OK', 'connection: close', 'content-length: 0'))).toBe(false);
    expect(keepAlive(head('HTTP/1.1 200 OK', 'Connection: Upgrade, CLOSE', 'content-length: 0'))).toBe(false);
  });

  it('is yes for HTTP/1.0 only when it asks for keep-alive', () => {
    expect(keepAlive(head('HTTP/1.0 200 OK', 'content-length: 0'))).toBe(false);
    expect(keepAlive(head('HTTP/1.0 200 OK', 'Connection: Keep-Alive', 'content-length: 0'))).toBe(true);
  });

  it('is no for a body read until the connection closes', () => {
    expect(keepAlive(`${head('HTTP/1.1 200 OK')}body`, true)).toBe(false);
    expect(keepAlive(`${head('HTTP/1.0 200 OK', 'connection: keep-alive')}body`, true)).toBe(false);
  });

  it('is no for a response framed both by transfer-encoding and content-length, read by its chunks', () => {
    const response = read(
      `${head('HTTP/1.1 200 OK', 'content-length: 3', 'transfer-encoding: chunked')}5\r\nhello\r\n0\r\n\r\n`,
    );
    expect(response.body.toString()).toBe('hello');
    expect(response.keepAlive).toBe(false);
  });

  it('is no when bytes are left over after the response', () => {
    const response = read(`${head('HTTP/1.1 200 OK', 'content-length: 2')}okHTTP/1.1 200 OK\r\n`);
    expect(response.body.toString()).toBe('ok');
    expect(response.keepAlive).toBe(false);
    const chunked = read(`${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}0\r\n\r\nx`);
    expect(chunked.keepAlive).toBe(false);
  });
});

describe('HttpResponseReader: errors', () => {
  const fails = (text: string | Buffer, options: { end?: boolean; maxBodyBytes?: number } = {}) =>
    expect(() => read(text, options)).toThrow(HttpProtocolError);

  it.each([
    'HTTP/2 200 OK',
    'HTTP/1.2 200 OK',
    'HTTP/1.1 20 OK',
    'HTTP/1.1 2000 OK',
    'HTTP/1.1 099 Low',
    'HTTP/1.1 200OK',
    'http/1.1 200 OK',
    'ICY 200 OK',
    ' HTTP/1.1 200 OK',
    'garbage',
  ])('refuses the status line %j', (line) => {
    fails(head(line, 'content-length: 0'));
  });

  it('names the bad status line in the error', () => {
    expect(() => read(head('SSH-2.0-FakeServer'))).toThrow(
      /not an HTTP\/1\.x status line: "SSH-2\.0-FakeServer"/,
    );
  });

  it('refuses a folded header line (obs-fold)', () => {
    fails(head('HTTP/1.1 200 OK', 'x-long: first part', '  second part', 'content-length: 0'));
    fails(head('HTTP/1.1 200 OK', 'x-long: first part', '\tsecond part', 'content-length: 0'));
  });

  it.each([
    'no colon here',
    ': no name',
    'bad name: value',
    'x-space-before-colon : value',
    'x-bad(name): value',
  ])('refuses the header line %j', (line) => {
    fails(head('HTTP/1.1 200 OK', line, 'content-length: 0'));
  });

  it('refuses conflicting content-lengths, and accepts the same one twice', () => {
    fails(`${head('HTTP/1.1 200 OK', 'content-length: 5', 'content-length: 6')}hello`);
    fails(`${head('HTTP/1.1 200 OK', 'content-length: 5, 6')}hello`);
    expect(read(`${head('HTTP/1.1 200 OK', 'content-length: 5, 5')}hello`).body.toString()).toBe('hello');
    expect(read(`${head('HTTP/1.1 200 OK', 'content-length: 5', 'Content-Length: 5')}hello`).keepAlive).toBe(
      true,
    );
  });

  it.each(['abc', '-1', '+5', '0x10', '1e3', '5.0', '', '1234567890123456'])(
    'refuses the content-length %j',
    (value) => {
      fails(`${head('HTTP/1.1 200 OK', `content-length: ${value}`)}hello`);
    },
  );

  it('refuses a head over 64 KiB that has not ended', () => {
    const reader = new HttpResponseReader();
    const start = bytes('HTTP/1.1 200 OK\r\nx-filler: ');
    expect(reader.push(start)).toBeUndefined();
    expect(reader.push(Buffer.alloc(64 * 1024 - start.length, 'a'))).toBeUndefined();
    // Up to three more bytes could still be the start of the CRLFCRLF that ends a 64 KiB head.
    expect(reader.push(bytes('aaa'))).toBeUndefined();
    expect(() => reader.push(bytes('a'))).toThrow(/head is too large/);
  });

  it('refuses a head over 64 KiB also when it arrives in one piece', () => {
    const text = head('HTTP/1.1 200 OK', `x-filler: ${'f'.repeat(70 * 1024)}`, 'content-length: 0');
    const inPieces = new HttpResponseReader();
    expect(() => inPieces.push(bytes(text.slice(0, 66 * 1024)))).toThrow(/head is too large/);
    fails(text);
  });

  it('accepts a large head that ends within 64 KiB', () => {
    const filler = 'f'.repeat(60 * 1024);
    expect(
      read(head('HTTP/1.1 200 OK', `x-filler: ${filler}`, 'content-length: 0')).headers.get('x-filler'),
    ).toBe(filler);
  });

  describe('a body over maxBodyBytes', () => {
    it('is refused by its content-length, before the body arrives', () => {
      const reader = new HttpResponseReader(10);
      expect(() => reader.push(bytes(head('HTTP/1.1 200 OK', 'content-length: 11')))).toThrow(
        /larger than 10 bytes/,
      );
      expect(
        read(`${head('HTTP/1.1 200 OK', 'content-length: 10')}0123456789`, { maxBodyBytes: 10 }).body,
      ).toHaveLength(10);
    });

    it('is refused by its chunk sizes', () => {
      const reader = new HttpResponseReader(10);
      reader.push(bytes(`${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}6\r\n012345\r\n`));
      expect(() => reader.push(bytes('5\r\n'))).toThrow(/larger than 10 bytes/);
      const fits = `${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n`;
      expect(read(fits, { maxBodyBytes: 10 }).body.toString()).toBe('0123456789');
    });

    it('is refused when framed by the end of the connection', () => {
      const reader = new HttpResponseReader(10);
      reader.push(bytes(head('HTTP/1.1 200 OK')));
      reader.push(bytes('0123456789'));
      expect(() => reader.push(bytes('!'))).toThrow(/larger than 10 bytes/);
      expect(read(`${head('HTTP/1.1 200 OK')}0123456789`, { end: true, maxBodyBytes: 10 }).body).toHaveLength(
        10,
      );
    });

    it('defaults to 8 MiB', () => {
      expect(DEFAULT_MAX_BODY_BYTES).toBe(8 * 1024 * 1024);
      fails(head('HTTP/1.1 200 OK', `content-length: ${8 * 1024 * 1024 + 1}`));
      const reader = new HttpResponseReader();
      expect(
        reader.push(bytes(head('HTTP/1.1 200 OK', `content-length: ${8 * 1024 * 1024}`))),
      ).toBeUndefined();
    });
  });

  it.each(['zz', '', ' 5', '-1', '0x5', '123456789', '5;ext\rmore', '5 x'])(
    'refuses the chunk size %j',
    (size) => {
      fails(`${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}${size}\r\nhello\r\n0\r\n\r\n`);
    },
  );

  it('refuses a chunk longer than its size', () => {
    fails(`${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}5\r\nhelloX\r\n0\r\n\r\n`);
    fails(`${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}5\r\nhello, world\r\n0\r\n\r\n`);
  });

  it('refuses a chunk line longer than 4 KiB, ended or not', () => {
    const prefix = head('HTTP/1.1 200 OK', 'transfer-encoding: chunked');
    fails(`${prefix}5;${'e'.repeat(5000)}\r\nhello\r\n0\r\n\r\n`);
    const reader = new HttpResponseReader();
    reader.push(bytes(`${prefix}5;`));
    expect(() => reader.push(bytes('e'.repeat(5000)))).toThrow(/longer than allowed/);
    // At the limit itself the line is still read.
    expect(read(`${prefix}5;${'e'.repeat(4 * 1024 - 2)}\r\nhello\r\n0\r\n\r\n`).body.toString()).toBe(
      'hello',
    );
  });

  describe('a body cut into many chunks', () => {
    const chunked = (count: number) =>
      `${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}${'1\r\nx\r\n'.repeat(count)}0\r\n\r\n`;

    it('is read up to 16 Ki chunks', () => {
      expect(DEFAULT_MAX_CHUNKS).toBe(16 * 1024);
      expect(read(chunked(DEFAULT_MAX_CHUNKS)).body.toString()).toBe('x'.repeat(DEFAULT_MAX_CHUNKS));
    });

    it('is refused with one more, saying why (8 MiB in 1-byte chunks once cost 1 GB of memory)', () => {
      expect(() => read(chunked(DEFAULT_MAX_CHUNKS + 1))).toThrow(
        new HttpProtocolError('the response body comes in more than 16384 chunks'),
      );
    });
  });

  it('refuses trailers over 64 KiB in all', () => {
    const trailers = `x-t: ${'t'.repeat(1000)}\r\n`.repeat(70);
    fails(`${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}2\r\nok\r\n0\r\n${trailers}\r\n`);
  });

  it('refuses end() before the response is complete', () => {
    const cases = [
      '',
      'HTTP/1.1 200 OK\r\ncontent-le',
      `${head('HTTP/1.1 200 OK', 'content-length: 5')}hel`,
      `${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}5\r\nhello\r\n`,
      `${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}0\r\n`,
      head('HTTP/1.1 100 Continue'),
    ];
    for (const text of cases) {
      const reader = new HttpResponseReader();
      if (text) expect(reader.push(bytes(text))).toBeUndefined();
      expect(() => reader.end(), JSON.stringify(text)).toThrow(/closed before the response was complete/);
    }
  });

  it('refuses bytes pushed after the response is complete', () => {
    const reader = new HttpResponseReader();
    expect(reader.push(bytes(`${head('HTTP/1.1 200 OK', 'content-length: 2')}ok`))).toBeDefined();
    expect(() => reader.push(bytes('more'))).toThrow(HttpProtocolError);

    const closed = new HttpResponseReader();
    closed.push(bytes(`${head('HTTP/1.1 200 OK')}body`));
    closed.end();
    expect(() => closed.push(bytes('more'))).toThrow(/after the response was complete/);
  });
});

describe('HttpResponseReader: bytes in any pieces', () => {
  /** Representative responses; `end` when the connection's end frames the body. */
  const samples: { name: string; text: Buffer; end: boolean }[] = [
    {
      name: 'content-length',
      text: bytes(
        `${head('HTTP/1.1 200 OK', 'Content-Type: application/json', 'Content-Length: 13')}{"ok":"fake"}`,
      ),
      end: false,
    },
    {
      name: 'chunked with extension and trailer',
      text: bytes(
        `${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked', 'x-a: 1', 'X-A: 2')}` +
          '4;ext=1\r\nwiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nx-trailer: fake\r\n\r\n',
      ),
      end: false,
    },
    {
      name: 'interim response then UTF-8 body',
      text: Buffer.concat([
        bytes(head('HTTP/1.1 100 Continue')),
        bytes(head('HTTP/1.1 404 Not Found', `content-length: ${Buffer.byteLength('找不到 ✓', 'utf8')}`)),
        Buffer.from('找不到 ✓', 'utf8'),
      ]),
      end: false,
    },
    { name: 'no body', text: bytes(head('HTTP/1.1 204 No Content', 'connection: close')), end: false },
    {
      name: 'close-framed',
      text: bytes(`${head('HTTP/1.0 200 OK', 'server: fake')}until the end`),
      end: true,
    },
    { name: 'bad status line', text: bytes(head('HTTP/1.1 2xx OK', 'content-length: 0')), end: false },
    {
      name: 'chunk longer than its size',
      text: bytes(`${head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')}3\r\nabcd\r\n0\r\n\r\n`),
      end: false,
    },
  ];

  type Outcome = ReturnType<typeof plain> | 'HttpProtocolError';

  function outcome(pieces: Buffer[], end: boolean): Outcome {
    const reader = new HttpResponseReader();
    try {
      let response: HttpResponse | undefined;
      for (const [i, piece] of pieces.entries()) {
        response = reader.push(piece);
        if (response && i < pieces.length - 1) throw new Error('answered before the last byte');
      }
      if (end) response = reader.end();
      if (!response) throw new Error('no response');
      return plain(response);
    } catch (error) {
      if (error instanceof HttpProtocolError) return 'HttpProtocolError';
      throw error;
    }
  }

  const cut = (text: Buffer, at: number[]) => {
    const points = [0, ...[...new Set(at)].sort((a, b) => a - b), text.length];
    return points.slice(1).map((to, i) => text.subarray(points[i], to));
  };

  it('gives the same outcome whole and one byte at a time', () => {
    for (const { name, text, end } of samples) {
      const whole = outcome([text], end);
      const oneByOne = outcome(
        [...text].map((byte) => Buffer.of(byte)),
        end,
      );
      expect(oneByOne, name).toEqual(whole);
    }
    expect(outcome([samples[0]?.text as Buffer], false)).toMatchObject({
      status: 200,
      body: '{"ok":"fake"}',
    });
    expect(outcome([samples[1]?.text as Buffer], false)).toMatchObject({
      body: 'wikipedia in\r\n\r\nchunks.',
      headers: { 'x-a': '1, 2' },
    });
    expect(outcome([samples[2]?.text as Buffer], false)).toMatchObject({ status: 404, body: '找不到 ✓' });
    expect(outcome([samples[4]?.text as Buffer], true)).toMatchObject({
      body: 'until the end',
      keepAlive: false,
    });
    expect(outcome([samples[5]?.text as Buffer], false)).toBe('HttpProtocolError');
  });

  it('keeps the body intact when each piece arrives in the same buffer, overwritten after each push', () => {
    const body = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));
    const sizes = [1, 7, 4096, 20_000, 40_000];
    const chunks = sizes.map((size) =>
      Buffer.concat([bytes(`${size.toString(16)}\r\n`), body.subarray(0, size), bytes('\r\n')]),
    );
    const text = Buffer.concat([
      bytes(head('HTTP/1.1 200 OK', 'transfer-encoding: chunked')),
      ...chunks,
      bytes('0\r\n\r\n'),
    ]);
    const expected = Buffer.concat(sizes.map((size) => body.subarray(0, size)));
    for (const readSize of [1, 3, 1000, 65_536]) {
      const reader = new HttpResponseReader();
      const shared = Buffer.alloc(readSize);
      let response: HttpResponse | undefined;
      for (let at = 0; at < text.length && !response; at += readSize) {
        const n = text.copy(shared, 0, at, at + readSize);
        response = reader.push(shared.subarray(0, n));
        if (!response) shared.fill(0xee); // what the socket's next read would do to it
      }
      expect(response?.body.equals(expected), `reads of ${readSize}`).toBe(true);
    }
  });

  it('gives the same outcome whole and cut into arbitrary pieces', () => {
    const sampleAndCuts = fc
      .constantFrom(...samples)
      .chain((sample) =>
        fc.tuple(
          fc.constant(sample),
          fc.array(fc.integer({ min: 1, max: sample.text.length - 1 }), { maxLength: 40 }),
        ),
      );
    fc.assert(
      fc.property(sampleAndCuts, ([{ text, end }, at]) => {
        expect(outcome(cut(text, at), end)).toEqual(outcome([text], end));
      }),
      { numRuns: 200 },
    );
  });
});
