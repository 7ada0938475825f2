import { BerthError } from '../errors.js';

/** An image reference as docker reads it, or a registry alone (no repository: check the login only). */
export interface ImageReference {
  /** The registry as docker names it: host[:port], `docker.io` for Docker Hub. */
  registry: string;
  repository?: string;
  tag?: string;
  digest?: string;
}

export const dockerHub = 'docker.io';

const component = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^\w[\w.-]{0,127}$/;
const digestPattern = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** Docker's rule: a first component with a dot or a port, or `localhost`, names a registry. */
function looksLikeHost(part: string): boolean {
  return part.includes('.') || part.includes(':') || part === 'localhost' || part !== part.toLowerCase();
}

function usage(input: string, why: string): BerthError {
  return new BerthError('usage', `"${input}" is not an image reference: ${why}.`);
}

/** Parses `[registry/]path[:tag][@digest]` like docker (`ubuntu` is `docker.io/library/ubuntu:latest`). */
export function parseReference(input: string): ImageReference {
  const text = input.trim().replace(/^https?:\/\//i, '');
  if (!text) throw usage(input, 'it is empty');
  const [name = '', digest, extra] = text.split('@');
  if (extra !== undefined) throw usage(input, 'it has more than one "@"');
  if (digest !== undefined && !digestPattern.test(digest)) throw usage(input, `"${digest}" is not a digest (algorithm:hex)`);

  const parts = name.replace(/\/$/, '').split('/');
  const first = parts[0] ?? '';
  // A registry alone: one host-like component (with a dot, or localhost), nothing after it.
  if (parts.length === 1 && digest === undefined && (first.split(':')[0]?.includes('.') || first.split(':')[0] === 'localhost')) {
    return { registry: first.toLowerCase() };
  }
  const hasRegistry = parts.length > 1 && looksLikeHost(first);
  const registry = hasRegistry ? first.toLowerCase() : dockerHub;
  const pathParts = hasRegistry ? parts.slice(1) : parts;
  const last = pathParts.at(-1) ?? '';
  const colon = last.lastIndexOf(':');
  let tag: string | undefined;
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    pathParts[pathParts.length - 1] = last.slice(0, colon);
    if (!tagPattern.test(tag)) throw usage(input, `"${tag}" is not a valid tag`);
  }
  for (const part of pathParts) {
    if (!component.test(part)) throw usage(input, part.toLowerCase() === part ? `"${part}" is not a valid repository name component` : 'repository names must be lower-case');
  }
  if (registry === dockerHub && pathParts.length === 1) pathParts.unshift('library');
  return { registry, repository: pathParts.join('/'), ...(digest ? { digest } : { tag: tag ?? 'latest' }) };
}

/** How a person writes the reference back: `registry/repository:tag` or `@digest`. */
export function formatReference(reference: ImageReference): string {
  if (!reference.repository) return reference.registry;
  return `${reference.registry}/${reference.repository}${reference.digest ? `@${reference.digest}` : `:${reference.tag ?? 'latest'}`}`;
}
