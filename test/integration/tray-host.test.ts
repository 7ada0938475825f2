import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { statusNotifierWatcher, trayHostPresent } from '../../main/app/tray-host.js';
import { unless } from '../rig/components.js';
import { busWithoutKeyring, holdBusName, silentBus } from '../helpers/session-bus.js';

describe('is there a tray to put the icon in? (a real dbus-daemon)', { skip: unless('dbus') }, () => {
  test('a desktop without a StatusNotifier host (GNOME without the AppIndicator extension) has none', async () => {
    const bus = await busWithoutKeyring();
    try {
      assert.equal(await trayHostPresent('linux', { DBUS_SESSION_BUS_ADDRESS: bus.address }), false);
    } finally {
      await bus.stop();
    }
  });

  test('a desktop whose tray host owns org.kde.StatusNotifierWatcher has one, and loses it when the host goes', async () => {
    const bus = await busWithoutKeyring();
    try {
      const host = await holdBusName(bus.address, statusNotifierWatcher);
      assert.equal(await trayHostPresent('linux', { DBUS_SESSION_BUS_ADDRESS: bus.address }), true);
      host.release();
      let present = true;
      // The bus drops the name when it notices the host's connection closed.
      for (let attempt = 0; attempt < 100 && present; attempt++) present = await trayHostPresent('linux', { DBUS_SESSION_BUS_ADDRESS: bus.address });
      assert.equal(present, false);
    } finally {
      await bus.stop();
    }
  });

  test('no session bus, or one that never answers, means no tray (and no hang)', async () => {
    assert.equal(await trayHostPresent('linux', {}), false);
    const bus = await silentBus();
    try {
      assert.equal(await trayHostPresent('linux', { DBUS_SESSION_BUS_ADDRESS: bus.address }, 300), false);
    } finally {
      await bus.stop();
    }
  });

  test('macOS and Windows always have a tray', async () => {
    assert.equal(await trayHostPresent('darwin', {}), true);
    assert.equal(await trayHostPresent('win32', {}), true);
  });
});
