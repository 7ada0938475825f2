import { get } from 'node:http';

/** The HTTP status of a GET, with another Host header if given (as a DNS-rebinding page would send). */
export function statusOf(url: string, host?: string): Promise<number> {
  return new Promise((resolve) => {
    get(url, host ? { headers: { host } } : {}, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', () => resolve(0));
  });
}

/**
 * What an attacker (or a stale tab) can throw at a sign-in's loopback listener, given the authorization URL Berth opened:
 * a forged callback, an error without state, an older sign-in's callback, the right state for another host name, and
 * another path. Returns the status of each; Berth must refuse them all and keep waiting.
 */
export async function hostileCallbacks(authorizationUrl: string, staleState = 'never-used'): Promise<number[]> {
  const authorization = new URL(authorizationUrl);
  const callback = authorization.searchParams.get('redirect_uri') as string;
  const state = authorization.searchParams.get('state') as string;
  const { port } = new URL(callback);
  return [
    await statusOf(`${callback}?code=forged&state=not-this-one`),
    await statusOf(`${callback}?error=access_denied&error_description=%1B%5B2J%1B%5B31mYOU%20WERE%20HACKED`),
    await statusOf(`${callback}?code=stale&state=${staleState}`),
    await statusOf(`${callback}?code=forged&state=${state}`, `attacker.example:${port}`),
    await statusOf(`http://127.0.0.1:${port}/elsewhere?state=${state}`),
  ];
}
