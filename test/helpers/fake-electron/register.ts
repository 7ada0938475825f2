import { register } from 'node:module';

// `node --import ./register.js app.js`: every `import … from 'electron'` after this gets the fake.
register('./hooks.js', import.meta.url);
