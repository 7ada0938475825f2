// Node module-resolution hooks: `electron` resolves to the fake beside this file (see register.ts).
const fake = new URL('./electron.js', import.meta.url).href;

type Resolve = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Resolve): Promise<{ url: string; shortCircuit?: boolean }> {
  if (specifier === 'electron') return { url: fake, shortCircuit: true };
  return next(specifier, context);
}
