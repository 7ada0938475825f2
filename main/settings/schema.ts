import { expirySources, harborMethods, registryNamePattern, registryStates } from './model.js';

/** What is wrong with a parsed settings or status file, one entry per field; empty when the file is sound. */
type Problems = string[];

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

type Rule = [check: (field: unknown) => boolean, what: string];

/** Checks each field that is present; `required` names the ones that must be. */
function fields(
  problems: Problems,
  at: string,
  value: Record<string, unknown>,
  rules: Record<string, Rule>,
  required: string[] = [],
): void {
  for (const name of required) if (value[name] === undefined) problems.push(`${at}${name} is missing`);
  for (const [name, [check, what]] of Object.entries(rules)) {
    if (value[name] !== undefined && !check(value[name])) problems.push(`${at}${name} must be ${what}`);
  }
}

const string = [(value: unknown) => typeof value === 'string', 'a string'] as Rule;
const nonEmpty = [(value: unknown) => typeof value === 'string' && value.length > 0, 'a non-empty string'] as Rule;
const url = [isUrl, 'a URL'] as Rule;
const httpsUrl = [(value: unknown) => isUrl(value) && (value as string).startsWith('https://'), 'an https URL'] as Rule;
const target = [(value: unknown) => value === 'config' || value === 'helper', '"config" or "helper"'] as Rule;
const zeroOrMore = [(value: unknown) => isNumber(value, 0), '0 or a positive number'] as Rule;
const positive = [(value: unknown) => isNumber(value, 0, true), 'a positive number'] as Rule;
const date = [(value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value)), 'a date (ISO 8601)'] as Rule;

const stringRecord = [(value: unknown) => isObject(value) && Object.values(value).every((param) => typeof param === 'string'), 'an object of strings'] as Rule;

const method = [(value: unknown) => (harborMethods as readonly unknown[]).includes(value), harborMethods.map((name) => `"${name}"`).join(' or ')] as Rule;

const port = [(value: unknown) => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535, 'a port number (1 to 65535)'] as Rule;

const pointer = [
  (value: unknown) => isObject(value) && typeof value.where === 'string' && value.where !== '' && (value.url === undefined || (isUrl(value.url) && (value.url as string).startsWith('https://'))),
  'an object with "where" (a sentence) and optionally "url" (https)',
] as Rule;

/** What a token registry has beside the common fields. */
const tokenFields = { note: string, pointer } as Record<string, Rule>;

const harborFields = {
  name: [(value: unknown) => typeof value === 'string' && registryNamePattern.test(value), 'lower-case letters, digits, ".", "_" and "-" (up to 63)'],
  url,
  method,
  issuer: url,
  clientId: nonEmpty,
  scopes: nonEmpty,
  authParams: stringRecord,
  idleDays: positive,
  loopbackPort: port,
  maxSessionDays: positive,
} as Record<string, Rule>;

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
      ...harborFields,
      kind: [(value) => value === 'harbor' || value === 'token' || value === 'stackit', '"harbor", "token" or "stackit"'],
      caFile: string,
      keepAliveHours: zeroOrMore,
      warnDays: zeroOrMore,
      target,
      username: nonEmpty,
      ...tokenFields,
      tokenEndpoint: url,
      minTokenSeconds: positive,
      fromDockerLogin: [(value: unknown) => typeof value === 'boolean', 'true or false'],
    },
    requiredFields(registry),
  );
}

/** Berth's own client needs its identity-provider details; Harbor's web login and a token need none. No method: written before web login existed, so `oidc`. */
function requiredFields(registry: Record<string, unknown>): string[] {
  if (registry.kind === 'stackit') return ['name', 'kind', 'url', 'tokenEndpoint'];
  if (registry.kind !== 'harbor') return ['name', 'kind', 'url'];
  if (registry.method === 'web') return ['name', 'kind', 'url', 'idleDays'];
  return ['name', 'kind', 'url', 'issuer', 'clientId', 'scopes', 'authParams', 'idleDays'];
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
        keepAliveHours: positive,
        warnDays: zeroOrMore,
        target,
        secretStore,
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
        sessionFixed: [(value) => typeof value === 'boolean', 'true or false'],
        secretAccepted: [(value) => typeof value === 'boolean', 'true or false'],
        berthSession: [(value) => value === 'none' || value === 'browser', '"none" or "browser"'],
        notice: string,
        lastError: string,
        actionUrl: string,
        expiresAt: date,
        expirySource: [(value) => (expirySources as readonly unknown[]).includes(value), `one of ${expirySources.join(', ')}`],
        accessTokenExpiresAt: date,
        pendingSecretSince: date,
        contestedSince: date,
      },
      ['state'],
    );
  }
  return problems;
}

/** Fields a value may not have: a typo in a profile or a payload from the window is named rather than ignored. */
function unknownFields(problems: Problems, at: string, value: Record<string, unknown>, known: string[]): void {
  for (const name of Object.keys(value)) if (!known.includes(name)) problems.push(`${at}${name} is not a known field`);
}

/** Problems in a registry profile an administrator hands out: Berth's client id, optionally the rest of a Harbor registry (the issuer is found from Harbor). */
export function profileProblems(data: unknown): Problems {
  if (!isObject(data)) return ['the profile must be a JSON object'];
  const problems: Problems = [];
  const { method: _method, ...registryRules } = harborFields;
  // An administrator's profile may also name the private server the app takes its updates from.
  const rules = { ...registryRules, updateUrl: httpsUrl };
  unknownFields(problems, '', data, Object.keys(rules));
  fields(problems, '', data, rules, ['clientId']);
  return problems;
}

/** Problems in the window's request to add a Harbor registry; its meaning (https, scopes) is checked by `addRegistry`. */
export function addHarborInputProblems(data: unknown): Problems {
  if (!isObject(data)) return ['the registry must be an object'];
  const problems: Problems = [];
  const rules = {
    ...harborFields,
    kind: [(value: unknown) => value === 'harbor', '"harbor"'] as Rule,
    keepAliveHours: zeroOrMore,
    warnDays: zeroOrMore,
  };
  unknownFields(problems, '', data, Object.keys(rules));
  fields(problems, '', data, rules, ['name', 'url']);
  return problems;
}

const secretStore = [(value: unknown) => value === 'keychain' || value === 'file', '"keychain" or "file"'] as Rule;

/** Problems in a change of preferences. */
export function preferencesChangeProblems(data: unknown): Problems {
  if (!isObject(data)) return ['the settings must be an object'];
  const problems: Problems = [];
  const rules = { keepAliveHours: positive, warnDays: zeroOrMore, target };
  unknownFields(problems, '', data, Object.keys(rules));
  fields(problems, '', data, rules);
  return problems;
}

/** Problems in a token registry's profile: where its tokens come from, for registries Berth's own table does not know. */
export function tokenProfileProblems(data: unknown): Problems {
  if (!isObject(data)) return ['the profile must be a JSON object'];
  const problems: Problems = [];
  const rules = { kind: [(value: unknown) => value === 'token', '"token"'] as Rule, name: harborFields.name as Rule, url, pointer, warnDays: zeroOrMore };
  unknownFields(problems, '', data, Object.keys(rules));
  fields(problems, '', data, rules, ['kind', 'pointer']);
  return problems;
}

/** Problems in the window's request to add a token registry; the token itself is checked at the registry by `addRegistry`. */
export function addTokenInputProblems(data: unknown): Problems {
  if (!isObject(data)) return ['the registry must be an object'];
  const problems: Problems = [];
  const rules = {
    kind: [(value: unknown) => value === 'token', '"token"'] as Rule,
    name: harborFields.name as Rule,
    url: boundedText(2048),
    username: boundedText(255),
    secret: boundedText(4096),
    expiresAt: date,
    note: [(value: unknown) => typeof value === 'string' && value.length <= 500, 'a string of at most 500 characters'] as Rule,
    warnDays: zeroOrMore,
  };
  unknownFields(problems, '', data, Object.keys(rules));
  fields(problems, '', data, rules, ['kind', 'name', 'url', 'username', 'secret']);
  return problems;
}

/** Problems in a change the window asks for (`updateRegistry`). */
export function registryChangeProblems(data: unknown): Problems {
  if (!isObject(data)) return ['the change must be an object'];
  const problems: Problems = [];
  const rules = {
    name: harborFields.name as Rule,
    expiresAt: [(value: unknown) => value === null || (typeof value === 'string' && !Number.isNaN(Date.parse(value))), 'a date (ISO 8601) or null'] as Rule,
    note: [(value: unknown) => typeof value === 'string' && value.length <= 500, 'a string of at most 500 characters'] as Rule,
  };
  unknownFields(problems, '', data, Object.keys(rules));
  fields(problems, '', data, rules, ['name']);
  return problems;
}

const boundedText = (maxLength: number) => [(value: unknown) => typeof value === 'string' && value.length > 0 && value.length <= maxLength, `a non-empty string of at most ${maxLength} characters`] as Rule;

/** Problems in the window's pasted CLI secret (method `web`); the registry's name is checked like every other. */
export function pastedSecretProblems(data: unknown): Problems {
  if (!isObject(data)) return ['the sign-in must be an object'];
  const problems: Problems = [];
  const rules = { name: harborFields.name as Rule, username: boundedText(255), secret: boundedText(4096), expiresAt: date };
  unknownFields(problems, '', data, Object.keys(rules));
  fields(problems, '', data, rules, ['name', 'username', 'secret']);
  return problems;
}
