import type { HttpRequest } from '../net/node-request.js';

/** Harbor's robot name prefix (src/lib/config: RobotPrefix, default `robot$`). */
export const robotPrefix = 'robot$';

/** What Harbor says of a robot's end: a date, `never` (`expires_at` -1), or `unknown` when the robot may not read its own record. */
export type RobotExpiry = Date | 'never' | 'unknown';

interface RobotRecord {
  name?: unknown;
  expires_at?: unknown;
}

async function readJson(fetch: HttpRequest, url: URL, auth: string, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(url, { headers: { authorization: auth, accept: 'application/json', ...headers } });
  if (!response.ok) {
    await response.body?.cancel();
    return undefined;
  }
  return response.json().catch(() => undefined);
}

/**
 * A robot's `expires_at` from Harbor's robots API, read with the robot's own credentials (src/server/v2.0/handler/robot.go
 * ListRobot: without a level it lists system robots; a project robot, `robot$<project>+<name>`, needs
 * `q=Level=project,ProjectID=<id>`, and the project's id comes from `GET /api/v2.0/projects/<name>` with
 * `X-Is-Resource-Name`). The robot must hold `robot:list` (and `project:read`); otherwise Harbor refuses and the end stays unknown.
 * Network faults are thrown: the caller decides what an unreachable Harbor means.
 */
export async function robotExpiry(fetch: HttpRequest, base: string, username: string, secret: string): Promise<RobotExpiry> {
  if (!username.startsWith(robotPrefix)) return 'unknown';
  const auth = `Basic ${Buffer.from(`${username}:${secret}`).toString('base64')}`;
  const stored = username.slice(robotPrefix.length);
  const plus = stored.indexOf('+');
  let query = `name=${stored}`;
  if (plus > 0) {
    const project = (await readJson(fetch, new URL(`/api/v2.0/projects/${encodeURIComponent(stored.slice(0, plus))}`, base), auth, { 'x-is-resource-name': 'true' })) as { project_id?: unknown } | undefined;
    if (typeof project?.project_id !== 'number') return 'unknown';
    query = `Level=project,ProjectID=${project.project_id},${query}`;
  }
  const url = new URL('/api/v2.0/robots', base);
  url.searchParams.set('q', query);
  const robots = await readJson(fetch, url, auth);
  const own = Array.isArray(robots) ? (robots as RobotRecord[]).find((robot) => robot.name === username) : undefined;
  if (typeof own?.expires_at !== 'number') return 'unknown';
  return own.expires_at === -1 ? 'never' : new Date(own.expires_at * 1000);
}
