// What the code under test writes straight to stdout (JSON log lines, the local runtime's output)
// goes through console.log instead, which vitest holds back for tests that pass (`silent:
// 'passed-only'`) and shows, with the test's name, for tests that fail.
const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  console.log(text.endsWith('\n') ? text.slice(0, -1) : text);
  const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
  callback?.();
  return true;
};
process.stdout.write = write as typeof process.stdout.write;
