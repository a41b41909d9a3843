// An OpenID provider for mcpforge's end-to-end tests: oidc-provider 9.13.3 on
// 127.0.0.1, started and stopped by the Go tests.
//
// Usage: node oidc_provider.mjs   (configured by environment variables)
//
//   PORT            port to listen on; 0 or unset picks a free one
//   RESOURCE        the MCP server's resource URL (http://127.0.0.1:P/mcp); access tokens
//                   requested for it (or requested without a resource) are RS256 JWTs with
//                   aud = RESOURCE. Required.
//   OTHER_RESOURCE  a second resource tokens may be requested for (RFC 8707 "resource"
//                   parameter), to prove a server refuses tokens minted for another one;
//                   default https://other.example/mcp
//   CLIENT_ID       confidential client (client_secret_basic); default mcp-test-client
//   CLIENT_SECRET   its secret; default mcp-test-secret
//   REDIRECT_URI    redirect URI(s) of the client, comma-separated; when set the client may
//                   also use authorization_code (PKCE S256 required), else client_credentials only
//   SCOPES          extra scopes besides "openid" and "tool:user", space-separated
//   ACCESS_TOKEN_TTL seconds, default 3600
//
// When listening it prints ONE JSON line on stdout and nothing else there (logs go to stderr):
//   {"issuer":"http://127.0.0.1:PORT","resource":"...","other_resource":"...",
//    "client_id":"...","jwks_uri":"...","token_endpoint":"...","authorization_endpoint":"..."}
// It stops on SIGTERM/SIGINT, or when its parent process exits (so it never outlives a killed test).
//
// Authorization-code flow (devInteractions, scripted by an HTTP client with a cookie jar):
//   1. GET  <authorization_endpoint>?... -> 303 to /interaction/<uid>
//   2. GET  /interaction/<uid>           -> HTML login form
//   3. POST /interaction/<uid>  form: prompt=login, login=<account id, becomes "sub">, password=<anything>
//                                        -> 303 to /auth/<uid> -> 303 to /interaction/<uid2>
//   4. GET  /interaction/<uid2>          -> HTML consent form
//   5. POST /interaction/<uid2> form: prompt=consent
//                                        -> 303 to /auth/<uid2> -> 303 to REDIRECT_URI?code=...&state=...&iss=...
//   (POST /interaction/<uid>/abort ends the flow with error=access_denied.)
// The login form posts to the URL of the page it is on, so a client can POST to the URL
// it was redirected to. The account id given at login is the token's "sub".

import crypto from 'node:crypto';
import http from 'node:http';

import Provider, { errors } from 'oidc-provider';

const env = process.env;
const resource = env.RESOURCE;
if (!resource) {
  console.error('oidc_provider: set RESOURCE to the MCP server URL of /mcp, such as http://127.0.0.1:8080/mcp');
  process.exit(2);
}
const otherResource = env.OTHER_RESOURCE || 'https://other.example/mcp';
const clientId = env.CLIENT_ID || 'mcp-test-client';
const clientSecret = env.CLIENT_SECRET || 'mcp-test-secret';
const redirectURIs = (env.REDIRECT_URI || '').split(',').map((s) => s.trim()).filter(Boolean);
const extraScopes = (env.SCOPES || '').split(/\s+/).filter(Boolean);
const accessTokenTTL = Number(env.ACCESS_TOKEN_TTL || 3600);
const resourceScopes = ['tool:user', ...extraScopes].join(' ');
const resources = new Set([resource, otherResource]);

// Listen first: with port 0 the issuer URL is known only once bound.
const server = http.createServer();
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(env.PORT || 0), '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', alg: 'RS256', use: 'sig' };

const client = {
  client_id: clientId,
  client_secret: clientSecret,
  token_endpoint_auth_method: 'client_secret_basic',
  grant_types: redirectURIs.length ? ['client_credentials', 'authorization_code'] : ['client_credentials'],
  response_types: redirectURIs.length ? ['code'] : [],
  redirect_uris: redirectURIs,
  scope: ['openid', resourceScopes].join(' '),
};

const provider = new Provider(issuer, {
  clients: [client],
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  scopes: ['openid', 'offline_access', ...resourceScopes.split(' ')],
  claims: { openid: ['sub'] },
  findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // A request without a resource parameter gets the MCP server's.
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (!resources.has(indicator)) {
          throw new errors.InvalidTarget(`unknown resource ${indicator}`);
        }
        return {
          scope: resourceScopes,
          audience: indicator,
          accessTokenTTL,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  ttl: {
    AccessToken: accessTokenTTL,
    ClientCredentials: accessTokenTTL,
    AuthorizationCode: 60,
    IdToken: 3600,
    Grant: 3600,
    Interaction: 600,
    Session: 3600,
  },
});
provider.on('server_error', (_ctx, err) => console.error('oidc_provider: server_error', err));

server.on('request', provider.callback());

const discovery = `${issuer}/.well-known/openid-configuration`;
const meta = await (await fetch(discovery)).json();
process.stdout.write(`${JSON.stringify({
  issuer,
  resource,
  other_resource: otherResource,
  client_id: clientId,
  jwks_uri: meta.jwks_uri,
  token_endpoint: meta.token_endpoint,
  authorization_endpoint: meta.authorization_endpoint,
})}\n`);

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// A test killed without cleanup must not leave the provider running: when the parent
// process goes away this one is re-parented, and stops.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop();
}, 1000).unref();
