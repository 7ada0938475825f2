import { runCli } from './berth.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  createApi: async (env) => (await import('../api/node.js')).createNodeApi(env),
});
process.exitCode = code;
