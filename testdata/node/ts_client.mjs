// A real MCP client for mcpforge's end-to-end tests: the TypeScript SDK
// (@modelcontextprotocol/sdk 1.32.2) connects to a generated server, lists its tools and
// calls hello_world {name: "Ada"}.
//
// Usage:
//   node ts_client.mjs [flags] URL                       streamable HTTP (or SSE) at URL
//   node ts_client.mjs [flags] --transport stdio -- CMD [ARGS...]   a server on stdio
//
// Flags (each also an environment variable):
//   --transport http|sse|stdio    TRANSPORT   default http (stdio when "--" is given).
//                                              For sse, URL is the /sse endpoint.
//   --auth none|client_credentials|bearer
//                                 AUTH        default client_credentials when CLIENT_ID is set, else none
//   --name NAME                   NAME        the argument of hello_world, default Ada
//   URL                           MCP_URL     the server's /mcp (or /sse) URL
//   CLIENT_ID, CLIENT_SECRET   credentials of a confidential client (client_secret_basic)
//   ISSUER                     the authorization server's issuer the credentials belong to
//                              (the SDK refuses to send them elsewhere); optional
//   SCOPE                      scopes to ask for when the server names none; optional
//   BEARER_TOKEN               the token sent with --auth bearer
//   TIMEOUT_MS                 overall deadline, default 30000
//
// With client_credentials the run must go the way the MCP authorization spec says: the first
// request to the server is refused with 401 and a WWW-Authenticate resource_metadata; the SDK
// fetches that protected-resource metadata, then the authorization server's metadata, gets a
// token at its token endpoint (client credentials, with the RFC 8707 resource), and retries.
// The script checks each step and fails when one is missing.
//
// Output: exactly one JSON line on stdout, e.g.
//   {"ok":true,"transport":"http","auth":"client_credentials","server":{"name":"weather",...},
//    "tools":["hello_world","whoami"],"hello_world":"Hello, Ada!",
//    "challenge":{"status":401,"www_authenticate":"Bearer resource_metadata=\"...\", ..."},
//    "resource_metadata":"http://.../.well-known/oauth-protected-resource/mcp",
//    "token":{"iss":"...","aud":"...","scope":"tool:user","sub":"..."},
//    "requests":[{"method":"POST","url":"...","status":401}, ...]}
// On failure {"ok":false,"error":"...", ...} and exit status 1 (2 for bad usage).
// Tokens and secrets are never printed.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';

const env = process.env;

function usage(msg) {
  process.stderr.write(`ts_client: ${msg}\nusage: node ts_client.mjs [--transport http|sse|stdio] [--auth none|client_credentials|bearer] [--name NAME] URL | -- CMD [ARGS...]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const opts = {
    transport: env.TRANSPORT,
    auth: env.AUTH,
    name: env.NAME || 'Ada',
    url: env.MCP_URL,
    command: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--') {
      opts.command = argv.slice(i + 1);
      if (!opts.command.length) usage('nothing after "--"; give the server command');
      break;
    } else if (a === '--transport') opts.transport = value();
    else if (a === '--auth') opts.auth = value();
    else if (a === '--name') opts.name = value();
    else if (a.startsWith('--')) usage(`unknown flag ${a}`);
    else opts.url = a;
  }
  opts.transport ||= opts.command ? 'stdio' : 'http';
  opts.auth ||= env.CLIENT_ID && opts.transport !== 'stdio' ? 'client_credentials' : 'none';
  if (!['http', 'sse', 'stdio'].includes(opts.transport)) usage(`unknown transport ${opts.transport}`);
  if (!['none', 'client_credentials', 'bearer'].includes(opts.auth)) usage(`unknown auth ${opts.auth}`);
  if (opts.transport === 'stdio') {
    if (!opts.command) usage('stdio needs the server command after "--"');
    if (opts.auth !== 'none') usage('stdio has no authorization; use --auth none');
  } else if (!opts.url) {
    usage('give the server URL');
  }
  if (opts.auth === 'client_credentials' && (!env.CLIENT_ID || !env.CLIENT_SECRET)) {
    usage('client_credentials needs CLIENT_ID and CLIENT_SECRET');
  }
  if (opts.auth === 'bearer' && !env.BEARER_TOKEN) usage('bearer needs BEARER_TOKEN');
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const result = { ok: false, transport: opts.transport, auth: opts.auth };
const requests = [];
let provider; // the OAuth client provider, when authorizing

// recordingFetch logs every HTTP exchange of the SDK (method, URL without query, status), so
// the test can see the 401 -> metadata -> token -> retry sequence.
async function recordingFetch(input, init) {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
  const method = init?.method || (input instanceof Request ? input.method : 'GET');
  const entry = { method, url: `${url.origin}${url.pathname}` };
  requests.push(entry);
  try {
    const resp = await fetch(input, init);
    entry.status = resp.status;
    if (resp.status === 401 && !result.challenge) {
      result.challenge = { status: 401, www_authenticate: resp.headers.get('www-authenticate') };
    }
    return resp;
  } catch (err) {
    entry.error = String(err?.cause?.code || err?.message || err);
    throw err;
  }
}

function decodeJWT(token) {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
    const { iss, aud, scope, sub, client_id: clientId, exp } = payload;
    return { iss, aud, scope, sub, client_id: clientId, exp };
  } catch {
    return { opaque: true };
  }
}

function finish(code) {
  if (opts.transport !== 'stdio') result.requests = requests;
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(code);
}

function fail(err) {
  result.ok = false;
  result.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  finish(1);
}

const deadline = setTimeout(() => fail(new Error(`no result within ${env.TIMEOUT_MS || 30000} ms`)), Number(env.TIMEOUT_MS || 30000));

// ChallengeScopedProvider asks for the scopes the server's 401 challenge names (SEP-835:
// the WWW-Authenticate scope comes first). The SDK applies that order to the authorization
// code flow, but its ClientCredentialsProvider sends only the scope it was configured with,
// and a token without the tool's scope would see no tools at all. SCOPE, when set, wins.
class ChallengeScopedProvider extends ClientCredentialsProvider {
  prepareTokenRequest(scope) {
    const fromChallenge = /(?:^|[\s,])scope="([^"]*)"/.exec(result.challenge?.www_authenticate || '')?.[1];
    result.requested_scope = env.SCOPE || scope || fromChallenge || '';
    return super.prepareTokenRequest(result.requested_scope || undefined);
  }
}

function makeTransport() {
  if (opts.transport === 'stdio') {
    const [command, ...args] = opts.command;
    return new StdioClientTransport({ command, args, stderr: 'inherit' });
  }
  const url = new URL(opts.url);
  const requestInit = opts.auth === 'bearer' ? { headers: { Authorization: `Bearer ${env.BEARER_TOKEN}` } } : undefined;
  let authProvider;
  if (opts.auth === 'client_credentials') {
    provider = new ChallengeScopedProvider({
      clientId: env.CLIENT_ID,
      clientSecret: env.CLIENT_SECRET,
      clientName: 'mcpforge-ts-client',
      scope: env.SCOPE || undefined,
      expectedIssuer: env.ISSUER || undefined,
    });
    authProvider = provider;
  }
  if (opts.transport === 'sse') {
    return new SSEClientTransport(url, { authProvider, requestInit, fetch: recordingFetch, eventSourceInit: { fetch: recordingFetch } });
  }
  return new StreamableHTTPClientTransport(url, { authProvider, requestInit, fetch: recordingFetch });
}

// checkOAuthFlow verifies the sequence the MCP authorization spec prescribes.
function checkOAuthFlow() {
  const mcpURL = new URL(opts.url);
  const first = requests.find((r) => r.url === `${mcpURL.origin}${mcpURL.pathname}`);
  if (!first || first.status !== 401) {
    throw new Error(`the first request to ${opts.url} got ${first?.status ?? 'nothing'}, not 401: the server did not challenge`);
  }
  const challenge = result.challenge?.www_authenticate || '';
  const m = /resource_metadata="([^"]+)"/.exec(challenge);
  if (!m) throw new Error(`the 401 has no resource_metadata in WWW-Authenticate: ${JSON.stringify(challenge)}`);
  result.resource_metadata = m[1];
  const prm = requests.find((r) => r.url === m[1].replace(/\?.*$/, ''));
  if (!prm || prm.status !== 200) {
    throw new Error(`the protected-resource metadata ${m[1]} was not fetched successfully (${prm?.status ?? 'not requested'})`);
  }
  const asMeta = requests.find((r) => /\/\.well-known\/(oauth-authorization-server|openid-configuration)/.test(r.url) && r.status === 200);
  if (!asMeta) throw new Error('no authorization server metadata was fetched');
  result.authorization_server_metadata = asMeta.url;
  const token = requests.find((r) => r.method === 'POST' && r.status === 200 && r.url !== first.url && requests.indexOf(r) > requests.indexOf(asMeta));
  if (!token) throw new Error('no token was obtained from the authorization server');
  result.token_endpoint = token.url;
  const retried = requests.slice(requests.indexOf(token) + 1).find((r) => r.url === first.url && r.status >= 200 && r.status < 300);
  if (!retried) throw new Error('the request was not retried successfully with the token');
}

try {
  const client = new Client({ name: 'mcpforge-ts-client', version: '1.0.0' });
  const transport = makeTransport();
  await client.connect(transport);
  result.server = client.getServerVersion();
  result.protocol_version = transport.protocolVersion ?? client.getNegotiatedProtocolVersion?.();

  const { tools } = await client.listTools();
  result.tools = tools.map((t) => t.name).sort();
  if (!result.tools.includes('hello_world')) throw new Error(`hello_world is not among the tools ${JSON.stringify(result.tools)}`);

  const call = await client.callTool({ name: 'hello_world', arguments: { name: opts.name } });
  const text = (call.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  result.hello_world = text;
  if (call.isError) throw new Error(`hello_world returned an error: ${text}`);
  if (!text.includes(opts.name)) throw new Error(`hello_world did not greet ${opts.name}: ${JSON.stringify(text)}`);

  if (opts.auth === 'client_credentials') {
    const tokens = await provider.tokens();
    if (tokens?.access_token) result.token = decodeJWT(tokens.access_token);
    checkOAuthFlow();
  }
  await client.close();
  clearTimeout(deadline);
  result.ok = true;
  finish(0);
} catch (err) {
  fail(err);
}
