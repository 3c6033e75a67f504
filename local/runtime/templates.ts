/**
 * The Serverless Devs 3.0 template expressions our s.yaml uses, evaluated the way `s` does before it
 * hands props to the fc3 component:
 *
 *   ${env('X')}  ${env('X', 'default')}  ${vars.a.b}  ${resources.<r>.props.<p>}  ${config('AccountID')}
 *   ${env('X', '').split(',')}   (a list from one variable; `s` runs what is inside `${…}` as JavaScript)
 *
 * A string that is exactly one expression takes the value's type (a number stays a number); otherwise
 * values are interpolated as text. `vars` and other resources' props may themselves hold expressions:
 * they are evaluated on demand, and a reference cycle is an error. Anything else (`file()`, `this.*`,
 * `resources.x.output.*`, ...) is refused with the expression named, rather than left unexpanded.
 */
import type { Env } from '#shared/config.ts';

export class TemplateError extends Error {
  override name = 'TemplateError';
}

export interface TemplateScope {
  /** The parsed document: `vars` and `resources` are read from it. */
  document: Record<string, unknown>;
  env: Env;
  /** What `${config('AccountID')}` gives. */
  accountId: string;
}

const EXPRESSION = /\$\{([^}]*)\}/g;
const WHOLE_EXPRESSION = /^\$\{([^}]*)\}$/;
const QUOTED = String.raw`\s*(?:'([^']*)'|"([^"]*)")\s*`;
const ENV_CALL = new RegExp(String.raw`^env\(${QUOTED}(?:,${QUOTED})?\)(?:\.split\(${QUOTED}\))?$`);
const CONFIG_CALL = new RegExp(String.raw`^config\(${QUOTED}\)$`);
const REFERENCE = /^(vars|resources)((?:\.[A-Za-z0-9_-]+)+)$/;

export class TemplateEvaluator {
  readonly #scope: TemplateScope;
  /** Paths being evaluated right now, to catch `vars.a: ${vars.b}`, `vars.b: ${vars.a}`. */
  readonly #inProgress = new Set<string>();

  constructor(scope: TemplateScope) {
    this.#scope = scope;
  }

  /** Evaluates every expression in a value (recursively through arrays and objects). `at` names it in errors. */
  evaluate(value: unknown, at: string): unknown {
    if (typeof value === 'string') return this.#evaluateString(value, at);
    if (Array.isArray(value)) return value.map((item, i) => this.evaluate(item, `${at}[${i}]`));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, this.evaluate(item, `${at}.${key}`)]),
      );
    }
    return value;
  }

  #evaluateString(text: string, at: string): unknown {
    const whole = WHOLE_EXPRESSION.exec(text);
    if (whole) return this.#expression(whole[1] ?? '', at);
    return text.replace(EXPRESSION, (_, expression: string) => {
      const value = this.#expression(expression, at);
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
    });
  }

  #expression(source: string, at: string): unknown {
    const expression = source.trim();
    const env = ENV_CALL.exec(expression);
    if (env) {
      const name = env[1] ?? env[2] ?? '';
      const fallback = env[3] ?? env[4];
      const separator = env[5] ?? env[6];
      const value = this.#scope.env[name];
      const text = value !== undefined && value !== '' ? value : fallback;
      if (text === undefined) {
        throw new TemplateError(`\${${expression}} at ${at}: the environment variable ${name} is not set`);
      }
      return separator === undefined ? text : text.split(separator);
    }
    const config = CONFIG_CALL.exec(expression);
    if (config) {
      const key = config[1] ?? config[2];
      if (key === 'AccountID') return this.#scope.accountId;
      throw new TemplateError(`\${${expression}} at ${at}: only config('AccountID') is known locally`);
    }
    const reference = REFERENCE.exec(expression);
    if (reference) return this.#reference(expression, reference[1] === 'vars', at);
    throw new TemplateError(
      `\${${expression}} at ${at} is not supported locally ` +
        "(known: env('X'), env('X', 'default'), env(…).split(','), vars.*, resources.<name>.props.*, " +
        "config('AccountID'))",
    );
  }

  #reference(expression: string, isVars: boolean, at: string): unknown {
    const path = expression.split('.');
    if (!isVars && path[2] !== 'props') {
      throw new TemplateError(`\${${expression}} at ${at}: only resources.<name>.props.* can be referenced`);
    }
    let value: unknown = this.#scope.document;
    for (const key of path) {
      value =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
    }
    if (value === undefined) {
      throw new TemplateError(`\${${expression}} at ${at}: ${expression} is not defined`);
    }
    if (this.#inProgress.has(expression)) {
      throw new TemplateError(`\${${expression}} at ${at}: ${expression} refers back to itself`);
    }
    this.#inProgress.add(expression);
    try {
      return this.evaluate(value, expression);
    } finally {
      this.#inProgress.delete(expression);
    }
  }
}
