package envelope

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestParseRandomMessages builds messages from the pieces that matter (keys
// in every spelling encoding/json matches, duplicates, nulls, values of the
// wrong type, numbers out of range), which byte-level fuzzing reaches only
// slowly, and holds Parse to the same references as FuzzParse.
func TestParseRandomMessages(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		body := []byte(randomBody(r))
		if !json.Valid(body) {
			t.Fatalf("generator made invalid JSON: %s", body)
		}
		got := Parse(body)
		if diff := compare(got, reference(body)); diff != "" {
			t.Errorf("Parse(%s) differs from the encoding/json reference:\n%s", body, diff)
		}
		if diff := agreesWithMCPGo(got, body); diff != "" {
			t.Errorf("Parse(%s) differs from mcp-go:\n%s", body, diff)
		}
	}
}

// FuzzParseRandomMessages lets the fuzzer pick the generator's seeds.
func FuzzParseRandomMessages(f *testing.F) {
	f.Add(uint64(1), uint64(2))
	f.Fuzz(func(t *testing.T, a, b uint64) {
		body := []byte(randomBody(rand.New(rand.NewPCG(a, b))))
		got := Parse(body)
		if diff := compare(got, reference(body)); diff != "" {
			t.Errorf("Parse(%s) differs from the encoding/json reference:\n%s", body, diff)
		}
		if diff := agreesWithMCPGo(got, body); diff != "" {
			t.Errorf("Parse(%s) differs from mcp-go:\n%s", body, diff)
		}
	})
}

func randomBody(r *rand.Rand) string {
	if r.IntN(6) == 0 {
		var elems []string
		for range r.IntN(4) {
			if r.IntN(5) == 0 {
				elems = append(elems, randomScalar(r))
			} else {
				elems = append(elems, randomMessage(r))
			}
		}
		return ws(r) + "[" + strings.Join(elems, ","+ws(r)) + "]" + ws(r)
	}
	return ws(r) + randomMessage(r) + ws(r)
}

func randomMessage(r *rand.Rand) string {
	var members []string
	for range r.IntN(7) {
		var k, v string
		switch r.IntN(5) {
		case 0:
			k, v = spell(r, "method"), pick(r, randomString(r, "tools/call", "prompts/get", "resources/read", "ping"), randomScalar(r))
		case 1:
			k, v = spell(r, "id"), pick(r, `7`, `-0`, `1.5e3`, `1234567`, `1e400`, `"a"`, `"\u0041"`, `null`, `true`, `{}`, `[1]`)
		case 2:
			k, v = spell(r, "params"), pick(r, randomParams(r), randomParams(r), randomScalar(r))
		case 3:
			k, v = spell(r, "jsonrpc"), `"2.0"`
		default:
			k, v = spell(r, "other"), randomScalar(r)
		}
		members = append(members, k+ws(r)+":"+ws(r)+v)
	}
	return "{" + ws(r) + strings.Join(members, ws(r)+","+ws(r)) + ws(r) + "}"
}

func randomParams(r *rand.Rand) string {
	var members []string
	for range r.IntN(6) {
		var k, v string
		switch r.IntN(5) {
		case 0:
			k, v = spell(r, "name"), pick(r, randomString(r, "a", "b", "hello_world"), randomScalar(r))
		case 1:
			k, v = spell(r, "uri"), pick(r, randomString(r, "file:///x", "u"), randomScalar(r))
		case 2:
			k, v = spell(r, "arguments"), pick(r, `{"a":[1,{"b":null}]}`, `null`, `[]`, `"s"`, `1e999`)
		case 3:
			k, v = spell(r, "_meta"), pick(r, randomMeta(r), randomMeta(r), randomScalar(r))
		default:
			k, v = spell(r, "task"), randomScalar(r)
		}
		members = append(members, k+":"+v)
	}
	return "{" + strings.Join(members, ",") + "}"
}

func randomMeta(r *rand.Rand) string {
	var members []string
	for range r.IntN(4) {
		k := pick(r, `"io.modelcontextprotocol/protocolVersion"`, `"io.modelcontextprotocol/protocolVersio\u006e"`,
			`"IO.modelcontextprotocol/protocolVersion"`, `"progressToken"`)
		v := pick(r, randomString(r, "2026-07-28", "2025-06-18"), `null`, `5`, `{"x":[1e309]}`, `{"x":[1e308]}`)
		members = append(members, k+":"+v)
	}
	return "{" + strings.Join(members, ",") + "}"
}

// spell writes key as a JSON string spelt one of the ways encoding/json
// matches it to a field of that name, or a near miss.
func spell(r *rand.Rand, key string) string {
	switch r.IntN(8) {
	case 0:
		return `"` + strings.ToUpper(key) + `"`
	case 1: // one letter escaped
		i := r.IntN(len(key))
		return `"` + key[:i] + `\u00` + hex2(key[i]) + key[i+1:] + `"`
	case 2: // long s, Kelvin sign, dotless i
		return `"` + strings.NewReplacer("s", "ſ", "k", "\u212a", "i", "ı").Replace(key) + `"`
	case 3: // a near miss
		return `"` + key + `x"`
	case 4: // mixed case
		b := []byte(key)
		for i := range b {
			if r.IntN(2) == 0 && 'a' <= b[i] && b[i] <= 'z' {
				b[i] -= 'a' - 'A'
			}
		}
		return `"` + string(b) + `"`
	}
	return `"` + key + `"`
}

func randomString(r *rand.Rand, values ...string) string {
	v := values[r.IntN(len(values))]
	switch r.IntN(6) {
	case 0:
		return `"` + strings.ReplaceAll(v, "/", `\/`) + `"`
	case 1:
		return `"` + v + `\ud800"`
	case 2:
		return "\"" + v + "\xff\""
	}
	return `"` + v + `"`
}

func randomScalar(r *rand.Rand) string {
	return pick(r, `null`, `true`, `5`, `1e400`, `"s"`, `[]`, `{}`, `[{"name":"x"}]`)
}

func pick(r *rand.Rand, values ...string) string { return values[r.IntN(len(values))] }

func ws(r *rand.Rand) string { return pick(r, "", "", "", " ", "\n\t") }

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}
