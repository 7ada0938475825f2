import { join } from 'node:path';
import { parseJsonObject } from '../credentials/json-file.js';
import { registryStates, type SettingsData, type StatusData } from './model.js';

/** JSON schemas shared by `conf` (Node) and `electron-store` (app), so both read and write the same files. */
export const settingsSchema = {
  registries: {
    type: 'array',
    default: [],
    items: {
      type: 'object',
      required: ['name', 'kind', 'url'],
      // A Harbor registry signs in through its identity provider; a token registry has nothing more.
      if: { properties: { kind: { const: 'harbor' } } },
      then: { required: ['issuer', 'clientId', 'scopes', 'authParams', 'idleDays'] },
      properties: {
        name: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' },
        kind: { enum: ['harbor', 'token'] },
        url: { type: 'string', format: 'uri' },
        issuer: { type: 'string', format: 'uri' },
        clientId: { type: 'string', minLength: 1 },
        scopes: { type: 'string', minLength: 1 },
        authParams: { type: 'object', additionalProperties: { type: 'string' } },
        caFile: { type: 'string' },
        idleDays: { type: 'number', exclusiveMinimum: 0 },
        keepAliveHours: { type: 'number', minimum: 0 },
        warnDays: { type: 'number', minimum: 0 },
        target: { enum: ['config', 'helper'] },
      },
    },
  },
  preferences: {
    type: 'object',
    default: {},
    properties: {
      keepAliveHours: { type: 'number', exclusiveMinimum: 0, default: 24 },
      warnDays: { type: 'number', minimum: 0, default: 3 },
    },
  },
} as const;

const isoDate = { type: 'string', format: 'date-time' } as const;

export const statusSchema = {
  registries: {
    type: 'object',
    default: {},
    additionalProperties: {
      type: 'object',
      required: ['state'],
      properties: {
        state: { enum: [...registryStates] },
        username: { type: 'string' },
        userId: { type: 'number' },
        writtenTo: { type: 'string' },
        signedInAt: isoDate,
        idleDeadline: isoDate,
        lastKeptAliveAt: isoDate,
        nextKeepAliveAt: isoDate,
        sessionExpiresAt: isoDate,
        lastError: { type: 'string' },
        actionUrl: { type: 'string' },
      },
    },
  },
} as const;

/** Options understood by both `conf` (`configName`) and `electron-store` (`name`) for the two files in the config folder. */
export function storeOptions(dir: string) {
  const file = <T>(name: string) => ({
    path: join(dir, `${name}.json`),
    cwd: dir,
    configName: name,
    name,
    accessPropertiesByDotNotation: false,
    clearInvalidConfig: false,
    configFileMode: 0o600,
    // A file that does not parse is reported with its path, line and column, and never rewritten.
    // The schema validates the parsed object right after, which is what makes the cast sound.
    deserialize: (text: string) => parseJsonObject(text, join(dir, `${name}.json`)) as unknown as T,
  });
  return {
    settings: { ...file<SettingsData>('settings'), schema: settingsSchema },
    status: { ...file<StatusData>('status'), schema: statusSchema },
  };
}
