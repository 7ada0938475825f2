import { registryStates } from './model.js';

/** What is wrong with a parsed settings or status file, one entry per field; empty when the file is sound. */
type Problems = string[];

const registryName = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

function isNumber(value: unknown, atLeast: number, strictly = false): boolean {
  return typeof value === 'number' && Number.isFinite(value) && (strictly ? value > atLeast : value >= atLeast);
}

/** Checks each field that is present; `required` names the ones that must be. */
function fields(
  problems: Problems,
  at: string,
  value: Record<string, unknown>,
  rules: Record<string, [check: (field: unknown) => boolean, what: string]>,
  required: string[] = [],
): void {
  for (const name of required) if (value[name] === undefined) problems.push(`${at}${name} is missing`);
  for (const [name, [check, what]] of Object.entries(rules)) {
    if (value[name] !== undefined && !check(value[name])) problems.push(`${at}${name} must be ${what}`);
  }
}

const string = [(value: unknown) => typeof value === 'string', 'a string'] as [(value: unknown) => boolean, string];
const nonEmpty = [(value: unknown) => typeof value === 'string' && value.length > 0, 'a non-empty string'] as [(value: unknown) => boolean, string];
const url = [isUrl, 'a URL'] as [(value: unknown) => boolean, string];
const date = [(value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value)), 'a date (ISO 8601)'] as [(value: unknown) => boolean, string];

function registryProblems(problems: Problems, at: string, registry: unknown): void {
  if (!isObject(registry)) {
    problems.push(`${at} must be an object`);
    return;
  }
  const prefix = `${at}.`;
  fields(
    problems,
    prefix,
    registry,
    {
      name: [(value) => typeof value === 'string' && registryName.test(value), 'lower-case letters, digits, ".", "_" and "-" (up to 63)'],
      kind: [(value) => value === 'harbor' || value === 'token', '"harbor" or "token"'],
      url,
      issuer: url,
      clientId: nonEmpty,
      scopes: nonEmpty,
      authParams: [(value) => isObject(value) && Object.values(value).every((param) => typeof param === 'string'), 'an object of strings'],
      caFile: string,
      idleDays: [(value) => isNumber(value, 0, true), 'a positive number'],
      keepAliveHours: [(value) => isNumber(value, 0), '0 or a positive number'],
      warnDays: [(value) => isNumber(value, 0), '0 or a positive number'],
      target: [(value) => value === 'config' || value === 'helper', '"config" or "helper"'],
    },
    // A Harbor registry signs in through its identity provider; a token registry needs nothing more.
    registry.kind === 'harbor' ? ['name', 'kind', 'url', 'issuer', 'clientId', 'scopes', 'authParams', 'idleDays'] : ['name', 'kind', 'url'],
  );
}

/** Problems in `settings.json`: the registries and the preferences. */
export function settingsProblems(data: Record<string, unknown>): Problems {
  const problems: Problems = [];
  if (data.registries !== undefined) {
    if (!Array.isArray(data.registries)) problems.push('registries must be an array');
    else data.registries.forEach((registry, i) => registryProblems(problems, `registries[${i}]`, registry));
  }
  if (data.preferences !== undefined) {
    if (!isObject(data.preferences)) problems.push('preferences must be an object');
    else {
      fields(problems, 'preferences.', data.preferences, {
        keepAliveHours: [(value) => isNumber(value, 0, true), 'a positive number'],
        warnDays: [(value) => isNumber(value, 0), '0 or a positive number'],
      });
    }
  }
  return problems;
}

/** Problems in `status.json`: one record per registry, no secrets. */
export function statusProblems(data: Record<string, unknown>): Problems {
  const problems: Problems = [];
  if (data.registries === undefined) return problems;
  if (!isObject(data.registries)) return ['registries must be an object'];
  for (const [name, record] of Object.entries(data.registries)) {
    const at = `registries.${name}`;
    if (!isObject(record)) {
      problems.push(`${at} must be an object`);
      continue;
    }
    fields(
      problems,
      `${at}.`,
      record,
      {
        state: [(value) => (registryStates as readonly unknown[]).includes(value), `one of ${registryStates.join(', ')}`],
        username: string,
        userId: [(value) => isNumber(value, 0), 'a number'],
        writtenTo: string,
        signedInAt: date,
        idleDeadline: date,
        lastKeptAliveAt: date,
        nextKeepAliveAt: date,
        sessionExpiresAt: date,
        lastError: string,
        actionUrl: string,
      },
      ['state'],
    );
  }
  return problems;
}
