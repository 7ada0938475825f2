import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';

/** How this copy of Berth was installed, the way electron-updater tells (resources/package-type is written by electron-builder). */
export type InstallKind = 'appimage' | 'deb' | 'nsis' | 'mac' | 'other-linux' | 'unpackaged';

export function installKind(platform: NodeJS.Platform, packaged: boolean, env: NodeJS.ProcessEnv, resourcesPath: string | undefined): InstallKind {
  if (!packaged) return 'unpackaged';
  if (platform === 'win32') return 'nsis';
  if (platform === 'darwin') return 'mac';
  if (env.APPIMAGE) return 'appimage';
  const packageType = resourcesPath ? join(resourcesPath, 'package-type') : undefined;
  return packageType && existsSync(packageType) && readFileSync(packageType, 'utf8').trim() === 'deb' ? 'deb' : 'other-linux';
}

/** The slice of electron-updater's AppUpdater that Berth uses. */
export interface Updater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  setFeedURL(options: { provider: 'generic'; url: string }): void;
  checkForUpdates(): Promise<{ isUpdateAvailable: boolean; updateInfo: { version: string } } | null>;
  on(event: 'update-downloaded', listener: (event: { version: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface UpdateOptions {
  kind: InstallKind;
  version: string;
  /** Loads electron-updater (only when an update can happen: it reads its own files at load). */
  updater: () => Promise<Updater>;
  /** The private update server an administrator's profile named, if any. */
  source: () => string | null;
  /** Whether the build carries electron-builder's app-update.yml (a publish target set at build time). */
  bundledFeed: boolean;
  /** The person's choice; null is the default for this kind of install. */
  automatic: () => boolean | null;
  notify(title: string, body: string): void;
  log: Pick<Logger, 'info' | 'warn'>;
}

const dailyMs = 24 * 60 * 60 * 1000;

/** Updates the install updates itself (AppImage, Windows installer, macOS); a deb is the package manager's, unless asked. */
export function updatesByDefault(kind: InstallKind): boolean {
  return kind === 'appimage' || kind === 'nsis' || kind === 'mac';
}

function updatedOtherwise(options: Pick<UpdateOptions, 'kind' | 'source' | 'bundledFeed'>): string | null {
  if (options.kind === 'unpackaged') return 'This is a checkout: `git pull` and `npm install` update it.';
  if (options.kind === 'other-linux') return 'This install cannot replace itself: install a newer package the way you installed this one.';
  if (!options.bundledFeed && !options.source()) return 'This build names no update server; an administrator can name one in a registry profile ("updateUrl").';
  return null;
}

/**
 * Berth's updates through electron-updater: checked at start and daily when automatic, downloaded in the background,
 * installed when Berth quits; "Check for updates" answers in a sentence either way.
 */
export class Updates {
  private loaded: Promise<Updater> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: UpdateOptions) {}

  /** How this install is updated when Berth cannot do it, in a sentence; null when it can. */
  otherwise(): string | null {
    return updatedOtherwise(this.options);
  }

  automatic(): boolean {
    return this.options.automatic() ?? updatesByDefault(this.options.kind);
  }

  start(): void {
    if (!this.automatic() || this.otherwise()) return;
    void this.check('automatic');
    this.timer = setInterval(() => void this.check('automatic'), dailyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A check the person asked for: the answer is a sentence to show them. */
  async checkNow(): Promise<string> {
    const otherwise = this.otherwise();
    if (otherwise) return otherwise;
    if (this.options.kind === 'deb' && !this.automatic()) return 'Installed from a deb package: `sudo apt upgrade` (or your software centre) updates Berth. Turn on automatic updates in Settings to have Berth do it.';
    return this.check('asked');
  }

  private async check(why: 'automatic' | 'asked'): Promise<string> {
    try {
      const updater = await this.updater();
      const result = await updater.checkForUpdates();
      const next = result?.isUpdateAvailable ? result.updateInfo.version : null;
      this.options.log.info('checked for updates', { why, available: next ?? 'none' });
      return next ? `Berth ${next} is downloading; it installs when you quit Berth.` : `Berth ${this.options.version} is up to date.`;
    } catch (error) {
      this.options.log.warn('update check failed', { why, reason: errorMessage(error) });
      return `Berth could not check for updates: ${errorMessage(error)}`;
    }
  }

  private updater(): Promise<Updater> {
    this.loaded ??= this.options.updater().then((updater) => {
      const source = this.options.source();
      if (source) updater.setFeedURL({ provider: 'generic', url: source });
      updater.autoDownload = true;
      updater.autoInstallOnAppQuit = true;
      updater.on('update-downloaded', ({ version }) => this.options.notify(`Berth ${version} is ready`, 'It installs when you quit Berth.'));
      updater.on('error', (error) => this.options.log.warn('update failed', { reason: errorMessage(error) }));
      return updater;
    });
    return this.loaded;
  }
}
