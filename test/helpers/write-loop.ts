import { DockerCredentialsTarget } from '../../main/credentials/docker-target.js';

// Writes config.json over and over until killed; it says so after each write, so the test kills it mid-loop after as many as it likes.
const target = new DockerCredentialsTarget(process.env);
for (let i = 0; ; i++) {
  await target.store({ server: `registry-${i % 7}.example.test`, username: `user${i}`, secret: `secret-${i}-${'x'.repeat(i % 300)}` }, 'write-loop');
  process.stdout.write('wrote\n');
}
