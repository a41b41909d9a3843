package envelope

import (
	"encoding/json"
	"strings"
	"testing"
)

// benchBody is the typical request: a tools/call of a small tool.
const benchBody = `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"hello_world","arguments":{"name":"Ada"}}}`

// largeBody is a tools/call whose arguments take 64 KiB: strings with
// escapes, numbers, nested objects and arrays.
func largeBody() []byte {
	var b strings.Builder
	b.WriteString(`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"ingest","arguments":{"rows":[`)
	for i := 0; b.Len() < 64<<10; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":12345,"score":-1.25e-3,"ok":true,"tags":["alpha","beta",null],"text":"Lorem ipsum dolor sit amet, \"quoted\" and \u00e9scaped\n text."}`)
	}
	b.WriteString(`]}}}`)
	return []byte(b.String())
}

func BenchmarkParse(b *testing.B) {
	body := []byte(benchBody)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Parse(body)
	}
}

func BenchmarkParseLarge(b *testing.B) {
	body := largeBody()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Parse(body)
	}
}

// BenchmarkParseStdlib decodes the same fields with encoding/json, as the
// access log and the scope check did before this package.
func BenchmarkParseStdlib(b *testing.B) {
	for _, bc := range []struct {
		name string
		body []byte
	}{{"typical", []byte(benchBody)}, {"large", largeBody()}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				var msg struct {
					Method string `json:"method"`
					ID     any    `json:"id"`
					Params struct {
						Name      string          `json:"name"`
						URI       string          `json:"uri"`
						Arguments json.RawMessage `json:"arguments"`
						Meta      struct {
							ProtocolVersion string `json:"io.modelcontextprotocol/protocolVersion"`
						} `json:"_meta"`
					} `json:"params"`
				}
				if err := json.Unmarshal(bc.body, &msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
