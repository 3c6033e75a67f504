/** What the local runtime CLI prints at start: each function, its triggers and how to invoke it. */
import { FAKE_ACCESS_KEY_ID, FAKE_ACCESS_KEY_SECRET } from '#local/emulator/emulator.ts';
import type { RuntimeMode } from './handlerModule.ts';
import { HTTP_PREFIX } from './httpTriggers.ts';
import type { LocalRuntime } from './runtime.ts';
import { type FunctionDefinition, isHttpTrigger, isTimerTrigger } from './serverlessYaml.ts';

export interface BannerFacts {
  mode: RuntimeMode;
  /** Where credentials come from, in words. */
  credentials: string;
}

export function startupBanner(runtime: LocalRuntime, facts: BannerFacts): string {
  const lines = [
    `local FC runtime listening on ${runtime.url} (${facts.mode} mode; credentials: ${facts.credentials})`,
    '',
  ];
  for (const fn of runtime.functions) lines.push(...functionLines(runtime, fn), '');
  lines.push(
    'Direct invocation (x-fc-invocation-type: Async for async) of any function:',
    `  curl -X POST ${runtime.url}/invoke/<functionName> -d '{"inferenceJobId":"..."}'`,
    `  FC 3.0 InvokeFunction (ACS3-signed): POST ${runtime.url}/2023-03-30/functions/<functionName>/invocations`,
    `  FC 2.0 / @alicloud/fc2 (FC-signed):   POST ${runtime.url}/2016-08-15/services/<any>/functions/<functionName>/invocations`,
    '  Signed calls (these, and HTTP triggers with authType function) take the local AccessKey',
    `  (${FAKE_ACCESS_KEY_ID} / ${FAKE_ACCESS_KEY_SECRET}) or credentials handed to a function.`,
    '',
    'Stop with Ctrl-C.',
  );
  return lines.join('\n');
}

function functionLines(runtime: LocalRuntime, fn: FunctionDefinition): string[] {
  const lines = [
    `${fn.functionName} (resource ${fn.resourceName}, ${fn.handler}, ${fn.memorySize} MB, timeout ${fn.timeout} s)`,
  ];
  for (const trigger of fn.triggers) {
    if (isHttpTrigger(trigger)) {
      const methods = trigger.methods?.join(', ') ?? 'any method';
      const root = runtime.rootFunction === fn.functionName ? `${runtime.url}/ and ` : '';
      lines.push(
        `  HTTP trigger ${trigger.name} [${methods}] (authType ${trigger.authType}): ` +
          `${root}${runtime.url}${HTTP_PREFIX}${fn.functionName}/`,
      );
    } else if (isTimerTrigger(trigger)) {
      const state = trigger.enable ? '' : ' (disabled)';
      lines.push(`  timer trigger ${trigger.name}: ${trigger.cronExpression} UTC${state}`);
    } else {
      lines.push(`  ${trigger.type} trigger ${trigger.name}: not served locally`);
    }
  }
  lines.push(`  invoke: POST ${runtime.url}/invoke/${fn.functionName}`);
  return lines;
}
