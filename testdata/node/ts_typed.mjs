// A TypeScript SDK (@modelcontextprotocol/sdk 1.32.2) client for mcpforge's end-to-end test of
// typed tools: it starts a generated server on stdio, lists its tools, and calls one tool with
// good arguments and with each set of bad ones. The SDK checks the structuredContent of a tool
// that publishes an outputSchema against that schema itself, and fails the call when it does
// not match: that is the check this script exists for.
//
// Usage:
//   node ts_typed.mjs TOOL GOOD_ARGS_JSON [BAD_ARGS_JSON...] -- CMD [ARGS...]
//
// Output: one JSON line on stdout:
//   {"ok":true,"tool":{"inputSchema":{...},"outputSchema":{...}},
//    "result":{"isError":false,"structuredContent":{...},"text":"..."},
//    "bad":[{"isError":true,"text":"missing required argument \"city\""}, ...]}
// On failure {"ok":false,"error":"..."} and exit status 1 (2 for bad usage).

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

function usage(msg) {
  process.stderr.write(`ts_typed: ${msg}\nusage: node ts_typed.mjs TOOL GOOD_ARGS_JSON [BAD_ARGS_JSON...] -- CMD [ARGS...]\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (sep < 2 || sep === argv.length - 1) usage('give the tool, its arguments, "--" and the server command');
const [tool, ...argSets] = argv.slice(0, sep);
const [command, ...commandArgs] = argv.slice(sep + 1);
let good, bad;
try {
  [good, ...bad] = argSets.map((s) => JSON.parse(s));
} catch (e) {
  usage(`arguments are not JSON: ${e.message}`);
}

const text = (res) => (res.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('');

const client = new Client({ name: 'mcpforge-e2e-typed', version: '1.0.0' });
const deadline = setTimeout(() => {
  process.stdout.write(JSON.stringify({ ok: false, error: 'timed out after 30s' }) + '\n');
  process.exit(1);
}, 30000);
try {
  await client.connect(new StdioClientTransport({ command, args: commandArgs, stderr: 'inherit' }));
  // Listing caches the output schemas the SDK validates results against.
  const { tools } = await client.listTools();
  const listed = tools.find((t) => t.name === tool);
  if (!listed) throw new Error(`tools/list lacks ${tool}: ${tools.map((t) => t.name).join(', ')}`);
  const res = await client.callTool({ name: tool, arguments: good });
  const out = {
    ok: true,
    tool: { inputSchema: listed.inputSchema, outputSchema: listed.outputSchema },
    result: { isError: !!res.isError, structuredContent: res.structuredContent, text: text(res) },
    bad: [],
  };
  for (const args of bad) {
    const r = await client.callTool({ name: tool, arguments: args });
    out.bad.push({ isError: !!r.isError, text: text(r) });
  }
  process.stdout.write(JSON.stringify(out) + '\n');
  await client.close();
  clearTimeout(deadline);
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, error: String(e && e.message ? e.message : e) }) + '\n');
  process.exit(1);
}
