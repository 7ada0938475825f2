import { openStores } from '../../main/settings/node-stores.js';

// status-loop.js <berth home> <registry> <writes>: puts its own record into status.json over and over, as keep-alive passes
// do, and prints how often it found its previous update undone (by another writer's read-modify-write of the file).
const [home = '', name = '', writes = '0'] = process.argv.slice(2);
const { status } = openStores(home);
const stamp = (i: number) => new Date(i * 1000).toISOString();
let undone = 0;
for (let i = 1; i <= Number(writes); i++) {
  const mine = status.all()[name];
  if (i > 1 && mine?.lastKeptAliveAt !== stamp(i - 1)) undone += 1;
  status.put(name, { ...mine, state: 'valid', lastKeptAliveAt: stamp(i) });
}
process.stdout.write(`${undone}\n`);
