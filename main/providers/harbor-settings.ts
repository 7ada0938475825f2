import type { AddHarborInput, AddRegistryInput } from '../api/contract.js';
import { BerthError } from '../errors.js';
import { probeHarbor, type HarborFindings } from '../harbor/probe.js';
import { requireSecureUrl } from '../net/http.js';
import { defaultIdleDays, defaultScopes, type HarborOidcSettings, type HarborWebSettings } from '../settings/model.js';
import type { AddContext, Prepared } from './method.js';
import { asUsage, caFileOf, checkedScopes, commonNumbers, registryOrigin } from './registry-address.js';

type HarborCommon = Omit<HarborWebSettings, 'method' | 'issuer'>;

function harborInput(input: AddRegistryInput): AddHarborInput {
  if (input.kind !== undefined && input.kind !== 'harbor') throw new BerthError('usage', `${input.name} is a ${input.kind} registry, not a Harbor.`);
  return input;
}

/** What every Harbor needs, whichever way it signs in: its address, the idle window, and an OIDC Harbor behind it. */
async function harborCommon(input: AddHarborInput, context: AddContext): Promise<{ common: HarborCommon; findings: HarborFindings; url: URL }> {
  const url = registryOrigin(input.url, input.name);
  context.requireFreeHost(url.host);
  const idleDays = input.idleDays ?? defaultIdleDays;
  if (!(idleDays > 0)) throw new BerthError('usage', `--idle-days for ${input.name} must be a positive number of days.`);
  const numbers = commonNumbers(input, input.name);
  const caFile = caFileOf(input.caFile, input.name);
  if (input.loopbackPort !== undefined && !(Number.isInteger(input.loopbackPort) && input.loopbackPort >= 1 && input.loopbackPort <= 65535)) {
    throw new BerthError('usage', `--loopback-port for ${input.name} must be a port number (1 to 65535).`);
  }
  if (input.maxSessionDays !== undefined && !(input.maxSessionDays > 0)) throw new BerthError('usage', `maxSessionDays for ${input.name} must be a positive number of days.`);
  return {
    url,
    findings: await probeHarbor(new URL(url.origin), caFile),
    common: { name: input.name, kind: 'harbor', url: url.origin, idleDays, ...(caFile ? { caFile } : {}), ...numbers, target: context.preferences.target },
  };
}

function requireOidcHarbor(findings: HarborFindings, url: URL): void {
  if (findings.authMode !== 'oidc_auth') {
    throw new BerthError(
      'not-oidc',
      `Harbor at ${url.host} signs people in with ${findings.authMode}, not OIDC single sign-on, so it has no CLI secrets for Berth to keep alive: use \`berth add token\` with a robot account, or \`docker login ${url.host}\` with your Harbor password.`,
    );
  }
}

/** Method `web`: Harbor's own web login, which needs none of Berth's client settings. */
export async function prepareHarborWeb(given: AddRegistryInput, context: AddContext): Promise<Prepared> {
  const input = harborInput(given);
  if (input.clientId || input.scopes || Object.keys(input.authParams ?? {}).length > 0 || input.loopbackPort !== undefined || input.maxSessionDays !== undefined) {
    throw new BerthError('usage', `A client id, scopes, authorization parameters, a loopback port and a session maximum belong to Berth's own client (method oidc); ${input.name} signs in through Harbor's web login, which needs none.`);
  }
  const { common, findings, url } = await harborCommon(input, context);
  requireOidcHarbor(findings, url);
  const registry: HarborWebSettings = { ...common, method: 'web', ...(findings.login?.issuer ? { issuer: findings.login.issuer } : {}) };
  return { registry, warnings: findings.warnings, added: `Added ${url.host}, signing in through Harbor's web login.` };
}

/** Method `oidc`: Berth's own client at the identity provider; the issuer defaults to the one Harbor's login redirects to. */
export async function prepareHarborOidc(given: AddRegistryInput, context: AddContext): Promise<Prepared> {
  const input = harborInput(given);
  const { common, findings, url } = await harborCommon(input, context);
  requireOidcHarbor(findings, url);
  if (!input.clientId) throw new BerthError('usage', `Berth's own client (method oidc) for ${input.name} needs its client id at the identity provider (--client-id, or a profile).`);
  const issuer = input.issuer ?? findings.login?.issuer;
  if (!issuer) {
    throw new BerthError('usage', `Berth could not find the identity provider's issuer from the login redirect of Harbor at ${url.host}: give it with --issuer (or in the profile).`);
  }
  asUsage(() => requireSecureUrl(issuer, `The issuer of ${input.name}`));
  const scopes = checkedScopes(input.scopes ?? defaultScopes, input.name);
  const registry: HarborOidcSettings = {
    ...common,
    method: 'oidc',
    issuer: issuer.replace(/\/$/, ''),
    clientId: input.clientId,
    scopes,
    authParams: input.authParams ?? {},
    ...(input.loopbackPort !== undefined ? { loopbackPort: input.loopbackPort } : {}),
    ...(input.maxSessionDays !== undefined ? { maxSessionDays: input.maxSessionDays } : {}),
  };
  const warnings = [...findings.warnings];
  const harborIssuer = findings.login?.issuer;
  if (harborIssuer && harborIssuer !== registry.issuer) {
    warnings.push(
      `Harbor at ${url.host} trusts ID tokens only from the issuer "${harborIssuer}", not "${registry.issuer}" (the same provider under another name counts as another issuer): Harbor will reject Berth's sign-in. Use --issuer ${harborIssuer}.`,
    );
  }
  return { registry, warnings, added: `Added ${url.host}, signing in with Berth's client "${registry.clientId}" at ${registry.issuer}.` };
}
