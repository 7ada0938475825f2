// Node module-resolution hooks: `electron` and `electron-updater` (which needs a packaged Electron) resolve to the fakes
// beside this file (see register.ts).
const fakes: Record<string, string> = { electron: new URL('./electron.js', import.meta.url).href, 'electron-updater': new URL('./updater.js', import.meta.url).href };

type Resolve = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Resolve): Promise<{ url: string; shortCircuit?: boolean }> {
  const fake = fakes[specifier];
  if (fake) return { url: fake, shortCircuit: true };
  return next(specifier, context);
}
