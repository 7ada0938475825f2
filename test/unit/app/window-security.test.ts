import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentSecurityPolicy, isRendererUrl, rendererFile, rendererOrigin, windowOptions } from '../../../main/app/window-security.js';

test('the window is isolated and sandboxed, with no Node in the page and only the preload bridging; DevTools only unpackaged', () => {
  assert.equal(windowOptions('/p.cjs', true).webPreferences?.devTools, true);
  const options = windowOptions('/app/dist/main/app/preload.cjs', false);
  assert.deepEqual(options.webPreferences, {
    preload: '/app/dist/main/app/preload.cjs',
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    devTools: false,
  });
  assert.equal(options.show, false, 'shown once ready, without a white flash');
});

test('the CSP allows only the page\'s own scripts and styles, nothing inline, no network', () => {
  const directives = new Map(contentSecurityPolicy.split('; ').map((directive) => [directive.split(' ')[0], directive.split(' ').slice(1).join(' ')]));
  assert.equal(directives.get('default-src'), "'none'");
  assert.equal(directives.get('script-src'), "'self'");
  assert.equal(directives.get('style-src'), "'self'");
  assert.equal(directives.get('connect-src'), "'none'");
  assert.equal(directives.get('object-src'), "'none'");
  assert.equal(directives.get('frame-ancestors'), "'none'");
  assert.doesNotMatch(contentSecurityPolicy, /unsafe|\*|https?:/);
});

test('the app protocol serves files from the build folder only', () => {
  assert.deepEqual(rendererFile(`${rendererOrigin}/`, '/r'), { path: '/r/index.html', contentType: 'text/html; charset=utf-8' });
  assert.deepEqual(rendererFile(`${rendererOrigin}/assets/index-1.js`, '/r'), { path: '/r/assets/index-1.js', contentType: 'text/javascript; charset=utf-8' });
  assert.equal(rendererFile(`${rendererOrigin}/%2e%2e/%2e%2e/home/a/.docker/config.json`, '/r'), null, 'a type the window never loads is not served');
  assert.equal(rendererFile(`${rendererOrigin}/%E0%A4%A.js`, '/r'), null, 'a broken escape is not found, not an exception');
  assert.equal(rendererFile('not a url', '/r'), null);
});

test('a served file type named with `..`, however encoded, still maps inside the build folder', () => {
  // The URL parser resolves plain and %2e-encoded `..` segments itself (the first case); encoded slashes survive it and reach the mapping as `..` after decoding.
  const escapes: [string, string][] = [
    ['/%2e%2e/secret.js', '/r/secret.js'],
    ['/..%2f..%2fetc%2fpasswd.js', '/r/etc/passwd.js'],
    ['/assets%2f..%2f..%2f..%2fhome%2fa%2f.docker%2fsecret.css', '/r/home/a/.docker/secret.css'],
    ['/%2e%2e%2f%2e%2e%2f%2e%2e%2findex.html', '/r/index.html'],
    ['/assets/..%2F..%2F..%2Fx.svg', '/r/x.svg'],
  ];
  for (const [path, expected] of escapes) assert.equal(rendererFile(`${rendererOrigin}${path}`, '/r')?.path, expected, path);
});

test('only pages of Berth\'s own origin count as the window', () => {
  assert.equal(isRendererUrl(`${rendererOrigin}/index.html#registry=x`), true);
  assert.equal(isRendererUrl('app://other/index.html'), false);
  assert.equal(isRendererUrl('https://berth/index.html'), false);
  assert.equal(isRendererUrl(undefined), false);
});
