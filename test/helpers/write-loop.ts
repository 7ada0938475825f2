import { DockerCredentialsTarget } from '../../main/credentials/docker-target.js';

// Writes config.json over and over until killed; it says so after the first write, so the test kills it mid-loop.
const target = new DockerCredentialsTarget(process.env);
for (let i = 0; ; i++) {
  await target.store({ server: `registry-${i % 7}.example.test`, username: `user${i}`, secret: `secret-${i}-${'x'.repeat(i % 300)}` }, 'write-loop');
  if (i === 0) process.stdout.write('writing\n');
}
