package auth

import (
	"bytes"
	"slices"
	"testing"
)

// FuzzCalledToolsTyped checks that the one-pass decode, whenever it accepts
// a body, finds exactly the tools the general decode finds.
func FuzzCalledToolsTyped(f *testing.F) {
	for _, seed := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello_world","arguments":{"name":"Ada"}}}`,
		`[{"method":"tools/call","params":{"name":"a"}},{"method":"tools/list"},{"method":"tools/call","params":{"name":"b"}}]`,
		`{"method":"tools/call","params":[1,2]}`,
		`{"method":"tools/call","params":{"name":5}}`,
		`{"method":"tools/call","params":null}`,
		`{"method":"ping"}`,
		`[]`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fast, ok := calledToolsTyped(bytes.TrimSpace([]byte(body)))
		if !ok {
			return
		}
		slow := calledToolsGeneral(bytes.TrimSpace([]byte(body)))
		if !slices.Equal(fast, slow) {
			t.Fatalf("body %q: fast %v, general %v", body, fast, slow)
		}
	})
}
