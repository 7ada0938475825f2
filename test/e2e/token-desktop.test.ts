import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { statusNotifierWatcher } from '../../main/app/tray-host.js';
import { shortDate } from '../../main/app/tray-model.js';
import { openStores } from '../../main/settings/node-stores.js';
import { startApp, type AppUnderTest } from '../helpers/desktop-app.js';
import { workspace } from '../helpers/berth.js';
import { busWithoutKeyring, holdBusName, type SessionBus } from '../helpers/session-bus.js';
import { unless } from '../rig/components.js';

const day = 86_400_000;

/**
 * The app's own code on the strict fake Electron (its boundary only), with the real core: token registries notify when
 * a token is rejected and before a known end, the tray line says the end with its date, and "Replace token…" opens the window there.
 */
describe('token registries in the desktop app', { skip: unless('dbus') }, () => {
  let bus: SessionBus;
  let app: AppUnderTest | undefined;
  before(async () => {
    bus = await busWithoutKeyring();
  });
  after(async () => {
    await app?.stop();
    await bus?.stop();
  });

  test('a rejected token and one that ends in two days each notify once, with where to get a new one; the tray shows the end and offers Replace token…', async () => {
    const ws = workspace();
    mkdirSync(ws.berthHome, { recursive: true });
    writeFileSync(
      join(ws.berthHome, 'settings.json'),
      JSON.stringify({
        registries: [
          { name: 'ci', kind: 'token', url: 'https://harbor.example.org', target: 'helper' },
          { name: 'pat', kind: 'token', url: 'https://pkg.harness.io', target: 'helper' },
        ],
      }),
    );
    const now = Date.now();
    const ends = now + 2 * day + 3_600_000;
    const { status } = openStores(ws.berthHome);
    // Checked just now, next check tomorrow: no pass runs while the test looks (the registries are not reachable here).
    const checked = { signedInAt: new Date(now - day).toISOString(), lastKeptAliveAt: new Date(now).toISOString(), nextKeepAliveAt: new Date(now + day).toISOString() };
    status.put('ci', {
      state: 'rejected',
      username: 'robot$team+ci',
      ...checked,
      lastError: 'harbor.example.org no longer accepts the token of robot$team+ci: it expired or was revoked.',
      actionUrl: 'https://harbor.example.org/harbor/projects',
    });
    status.put('pat', { state: 'valid', username: 'me@example.org', ...checked, expiresAt: new Date(ends).toISOString(), expirySource: 'given' });
    const host = await holdBusName(bus.address, statusNotifierWatcher);
    try {
      app = startApp({ env: { ...ws.env, DBUS_SESSION_BUS_ADDRESS: bus.address }, userData: ws.berthHome, args: ['--hidden'] });
      const seen = await app.until('both notified', (s) => s.notifications.length >= 2 && s.trays.length > 0);
      assert.deepEqual(
        seen.notifications.map((notice) => notice.title).sort(),
        ['harbor.example.org: token rejected', `pkg.harness.io: token expires in 2 days (${shortDate(ends)})`],
      );
      const rejected = seen.notifications.find((notice) => notice.title.endsWith('token rejected'));
      assert.match(rejected?.body ?? '', /no longer accepts this token: it expired or was revoked.*In Harbor: the project → Robot Accounts/);
      const expiring = seen.notifications.find((notice) => notice.title.startsWith('pkg.harness.io'));
      assert.match(expiring?.body ?? '', /Berth cannot renew it: get a new one before then\. In Harness: the registry's "Set up client"/);
      const tray = seen.trays[0];
      assert.ok(tray?.menu.includes(`pkg.harness.io — token expires in 2 days (${shortDate(ends)})`), JSON.stringify(tray?.menu));
      assert.ok(tray?.menu.includes('harbor.example.org — token rejected, replace it'));
      assert.match(tray?.tooltip ?? '', /harbor\.example\.org — token rejected, replace it/);

      await app.command({ type: 'tray-menu', label: 'Replace token…' });
      const shown = await app.until('the window opens at the registry', (s) => s.windows.some((w) => w.visible));
      assert.match(shown.windows.find((w) => w.visible)?.url ?? '', /#.*registry=ci.*intent=replace|intent=replace.*registry=ci/);
      await app.command({ type: 'quit' });
      await app.exited;
    } finally {
      host.release();
    }
  });
});
