/**
 * The runtime's own log lines (notices, failed invocations, crashed instances): JSON lines in the form
 * the functions write (`#shared/log.ts`: `{"time","level","msg",...}`), marked `"component":"fc-runtime"`
 * and with credentials masked, so that one stream holds both and a log reader parses every line. What
 * the functions print is passed on as they wrote it.
 */
import { createLogger, type Logger, maskSecrets } from '#shared/log.ts';

export function runtimeLogger(output: (line: string) => void): Logger {
  return createLogger({ write: (line) => output(maskSecrets(line.trimEnd())) }, { component: 'fc-runtime' });
}
