import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { AccessTokenCheck } from './stackit-token-endpoint.js';

/** One permission of a robot, as Harbor's robot API takes it (`{resource, action}` in a permission's `access` list). */
export interface RobotAccess {
  resource: string;
  action: string;
}

/**
 * A robot account as Harbor stores it (src/pkg/robot/model, src/controller/robot): `name` without the `robot$` prefix
 * (`<project>+<name>` for a project robot), `expires_at` in Unix seconds or -1 for never, `duration` in days, `disable`.
 */
export interface RobotRecord {
  id: number;
  /** The stored name, `<project>+<name>`. */
  name: string;
  projectId: number;
  project: string;
  secret: string;
  expiresAt: number;
  duration: number;
  disabled: boolean;
  access: RobotAccess[];
  /** STACKIT Container Registry: the service account linked to this robot; its static secret then stops working. */
  linked?: { email: string; id: string; verify: AccessTokenCheck };
}

// src/lib/config: RobotPrefix's default.
export const robotPrefix = 'robot$';

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Harbor's robot accounts in the double (harbor-facts.md "Robot accounts"; src/server/middleware/security/robot.go). */
export class HarborRobots {
  private readonly robots = new Map<number, RobotRecord>();
  private nextId = 1;
  /** Secrets handed out, for the leak check. */
  readonly secretsSeen = new Set<string>();

  constructor(private readonly projectId: (project: string) => number | undefined) {}

  /**
   * A project robot, as `POST /api/v2.0/robots` makes one: `duration` days from now (-1: never), a generated secret,
   * pull on the project's repositories plus whatever else is listed.
   */
  create(project: string, name: string, options: { durationDays?: number; access?: RobotAccess[] } = {}): { name: string; secret: string; record: RobotRecord } {
    const projectId = this.projectId(project);
    if (projectId === undefined) throw new Error(`no project ${project}`);
    const duration = options.durationDays ?? 30;
    const secret = randomBytes(24).toString('base64url');
    const record: RobotRecord = {
      id: this.nextId++,
      name: `${project}+${name}`,
      projectId,
      project,
      secret,
      expiresAt: duration === -1 ? -1 : Math.floor(Date.now() / 1000) + duration * 86_400,
      duration,
      disabled: false,
      access: [{ resource: 'repository', action: 'pull' }, ...(options.access ?? [])],
    };
    this.robots.set(record.id, record);
    this.secretsSeen.add(secret);
    return { name: `${robotPrefix}${record.name}`, secret, record };
  }

  /** `DELETE /api/v2.0/robots/{id}`: the robot is gone, its secret with it. */
  delete(fullName: string): void {
    const record = this.find(fullName);
    if (record) this.robots.delete(record.id);
  }

  /** `PATCH /api/v2.0/robots/{id}` with `{"secret": ""}`: a new generated secret; `expires_at` is unchanged (harbor-facts.md). */
  refreshSecret(fullName: string): string {
    const record = this.find(fullName);
    if (!record) throw new Error(`no robot ${fullName}`);
    record.secret = randomBytes(24).toString('base64url');
    this.secretsSeen.add(record.secret);
    return record.secret;
  }

  /** STACKIT's "Integrate Service Accounts with Robot Accounts": the robot is linked by the service account's e-mail and id. */
  link(fullName: string, account: { email: string; id: string }, verify: AccessTokenCheck): void {
    const record = this.find(fullName);
    if (!record) throw new Error(`no robot ${fullName}`);
    record.linked = { ...account, verify };
  }

  find(fullName: string): RobotRecord | undefined {
    if (!fullName.startsWith(robotPrefix)) return undefined;
    const stored = fullName.slice(robotPrefix.length);
    return [...this.robots.values()].find((robot) => robot.name === stored);
  }

  /**
   * robot.go `Generate`: the `robot$` name finds the record, the secret must match, a disabled or expired robot
   * (`expires_at` not -1 and passed) is refused. A linked robot refuses its static secret and takes the service account's
   * e-mail with a live access token from STACKIT's token endpoint instead.
   */
  async authenticate(username: string, password: string): Promise<RobotRecord | undefined> {
    const linked = [...this.robots.values()].find((robot) => robot.linked?.email === username);
    if (linked?.linked) {
      const claims = await linked.linked.verify(password);
      return claims?.sub === linked.linked.id && this.usable(linked) ? linked : undefined;
    }
    const record = this.find(username);
    if (!record || record.linked || !safeEqual(password, record.secret)) return undefined;
    return this.usable(record) ? record : undefined;
  }

  private usable(record: RobotRecord): boolean {
    return !record.disabled && (record.expiresAt === -1 || record.expiresAt > Math.floor(Date.now() / 1000));
  }

  /** The robot's own permission (`RequireProjectAccess` on its project): `access` lists it. */
  may(record: RobotRecord, projectId: number, resource: string, action: string): boolean {
    return record.projectId === projectId && record.access.some((access) => access.resource === resource && access.action === action);
  }

  /**
   * `GET /api/v2.0/robots?q=...` (src/server/v2.0/handler/robot.go ListRobot): without `Level` it lists system robots
   * (ProjectID 0); `Level=project` needs `ProjectID`, and the caller needs `robot:list` there. Keywords are exact matches.
   */
  list(query: Record<string, string>, caller: RobotRecord | 'admin' | undefined): { status: number; body: unknown } {
    if (!caller) return { status: 401, body: { errors: [{ code: 'UNAUTHORIZED', message: 'UnAuthorized' }] } };
    const level = query.Level ?? 'system';
    if (level === 'project' && !/^[1-9]\d*$/.test(query.ProjectID ?? '')) return { status: 400, body: { errors: [{ code: 'BAD_REQUEST', message: 'ProjectID must be a positive integer' }] } };
    const projectId = level === 'project' ? Number(query.ProjectID) : 0;
    if (caller !== 'admin' && (level !== 'project' || !this.may(caller, projectId, 'robot', 'list'))) return { status: 403, body: { errors: [{ code: 'FORBIDDEN', message: 'forbidden' }] } };
    const found = [...this.robots.values()].filter((robot) => robot.projectId === projectId && (query.name === undefined || robot.name === query.name));
    return {
      status: 200,
      // model.Robot.ToSwagger: a v2 robot's name carries the prefix (controller/robot: `robot.Name = prefix + r.Name`).
      body: found.map((robot) => ({ id: robot.id, name: `${robotPrefix}${robot.name}`, expires_at: robot.expiresAt, duration: robot.duration, disable: robot.disabled, level: 'project', editable: true })),
    };
  }
}

/** Harbor's `q` query (lib/q): `k1=v1,k2=v2`. */
export function parseHarborQuery(q: string | null): Record<string, string> {
  const query: Record<string, string> = {};
  for (const part of (q ?? '').split(',')) {
    const at = part.indexOf('=');
    if (at > 0) query[part.slice(0, at)] = part.slice(at + 1);
  }
  return query;
}
