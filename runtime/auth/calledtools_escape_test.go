package auth

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestCalledToolsSeesEscapedMethods(t *testing.T) {
	for _, body := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello_world"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools\/call","params":{"name":"hello_world"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"\u0074ools/call","params":{"name":"hello_world"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"hello\u005fworld"}}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","id":2,"method":"tools\u002fcall","params":{"name":"hello_world"}}]`,
	} {
		r, _ := http.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		if got := calledTools(r); !slices.Equal(got, []string{"hello_world"}) {
			t.Errorf("calledTools(%s) = %v, want [hello_world]", body, got)
		}
	}
	r, _ := http.NewRequest(http.MethodPost, "/mcp", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if got := calledTools(r); len(got) != 0 {
		t.Errorf("tools/list: %v, want none", got)
	}
}
