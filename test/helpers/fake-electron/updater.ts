import { EventEmitter } from 'node:events';
import { electron } from './electron.js';

/**
 * electron-updater at its boundary: it needs a packaged Electron to run. It keeps what the app asked of it in the fake
 * Electron's journal; FAKE_UPDATE_VERSION is the version its server offers (none: Berth is up to date).
 */
class FakeUpdater extends EventEmitter {
  autoDownload = false;
  autoInstallOnAppQuit = false;

  setFeedURL(options: { provider: string; url: string }): void {
    electron.state.journal.push(`updater feed: ${options.provider} ${options.url}`);
  }

  async checkForUpdates(): Promise<{ isUpdateAvailable: boolean; updateInfo: { version: string } }> {
    const offered = process.env.FAKE_UPDATE_VERSION;
    electron.state.journal.push(`updater check (autoDownload=${this.autoDownload}, installOnQuit=${this.autoInstallOnAppQuit})`);
    if (offered && this.autoDownload) setImmediate(() => this.emit('update-downloaded', { version: offered }));
    return { isUpdateAvailable: Boolean(offered), updateInfo: { version: offered ?? '0.2.0' } };
  }
}

export const autoUpdater = new FakeUpdater();
