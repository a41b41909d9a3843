package httpserver

import (
	"testing"

	"github.com/mcpforge/mcpforge/runtime/envelope"
)

// The legacy SSE tracking matches the id of a POST /message, as the
// envelope keys it, with the id of the response mcp-go writes on the stream,
// as responseID keys it. The two keys must agree for every id form a client
// may write, or a response would never be matched and its request would
// stay tracked.
func TestResponseIDMatchesEnvelopeID(t *testing.T) {
	for _, id := range []string{
		`1`, `1.0`, `1e0`, `-0`, `0.1`, `1e21`, `12345678901234567890`, `-7.25E-3`,
		`"abc"`, `""`, `"a\"b"`, `"\u00e9"`, `"é"`, `"\ud83d\ude00"`, `"1"`, `"line\nbreak"`,
	} {
		env := envelope.Parse([]byte(`{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"x"}}`))
		if !env.HasID {
			t.Errorf("id %s: the envelope sees no id", id)
			continue
		}
		// mcp-go writes the id back as it decoded it; a response carrying it
		// in another spelling of the same value must match too.
		got, ok := responseID([]byte(`{"jsonrpc":"2.0","id":` + id + `,"result":{}}`))
		if !ok || got != env.ID {
			t.Errorf("id %s: response key %q (ok %v), envelope key %q", id, got, ok, env.ID)
		}
	}
	// Ids that are not strings or numbers are no request ids to either side.
	for _, id := range []string{`null`, `true`, `{}`, `[]`} {
		if env := envelope.Parse([]byte(`{"jsonrpc":"2.0","id":` + id + `,"method":"ping"}`)); env.HasID {
			t.Errorf("id %s: the envelope sees an id %q", id, env.ID)
		}
		if got, ok := responseID([]byte(`{"jsonrpc":"2.0","id":` + id + `,"result":{}}`)); ok {
			t.Errorf("id %s: response key %q", id, got)
		}
	}
}

// FuzzResponseIDMatchesEnvelopeID checks the agreement on any id text that
// both sides accept as a number or string.
func FuzzResponseIDMatchesEnvelopeID(f *testing.F) {
	for _, id := range []string{`1`, `1.50`, `"x"`, `"\u0041"`, `-1e-7`} {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		env := envelope.Parse([]byte(`{"jsonrpc":"2.0","id":` + id + `,"method":"ping"}`))
		got, ok := responseID([]byte(`{"jsonrpc":"2.0","id":` + id + `,"result":{}}`))
		if env.HasID && ok && got != env.ID {
			t.Errorf("id %q: response key %q, envelope key %q", id, got, env.ID)
		}
	})
}
