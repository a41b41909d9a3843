package envelope

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// parseCases are bodies and the envelopes Parse must find in them; they
// also seed FuzzParse.
var parseCases = []struct {
	name string
	body string
	want Envelope
}{
	{"tools/call",
		`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"hello_world","arguments":{"name":"Ada"}}}`,
		Envelope{Method: "tools/call", ID: "n:7", HasID: true, Name: "hello_world", Arguments: json.RawMessage(`{"name":"Ada"}`), Valid: true}},
	{"whitespace everywhere",
		" \r\n\t{ \"params\" : { \"arguments\" :\n[ 1 , 2 ] , \"name\" : \"t\" } , \"method\" : \"tools/call\" , \"id\" : \"x\" } \n",
		Envelope{Method: "tools/call", ID: "s:x", HasID: true, Name: "t", Arguments: json.RawMessage(`[ 1 , 2 ]`), Valid: true}},
	{"notification",
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		Envelope{Method: "notifications/initialized", Valid: true}},
	{"method not known to the intern table",
		`{"jsonrpc":"2.0","id":1,"method":"x/custom"}`,
		Envelope{Method: "x/custom", ID: "n:1", HasID: true, Valid: true}},
	{"resources/read",
		`{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"file:///a b"}}`,
		Envelope{Method: "resources/read", ID: "n:2", HasID: true, URI: "file:///a b", Valid: true}},
	{"prompts/get",
		`{"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":"greet","arguments":{"who":"x"}}}`,
		Envelope{Method: "prompts/get", ID: "n:3", HasID: true, Name: "greet", Arguments: json.RawMessage(`{"who":"x"}`), Valid: true}},
	{"protocol version of a 2026-07-28 request",
		`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}`,
		Envelope{Method: "tools/list", ID: "n:1", HasID: true, ProtocolVersion: "2026-07-28", Valid: true}},
	{"nested values skipped",
		`{"a":{"method":"no","b":[{"params":{"name":"no"}},"]}\\\"",-1.5e+3,true,false,null,{}]},"method":"ping","id":0}`,
		Envelope{Method: "ping", ID: "n:0", HasID: true, Valid: true}},

	// Keys as encoding/json (and so mcp-go) matches struct fields.
	{"escaped keys",
		`{"\u006dethod":"tools/call","i\u0064":1,"par\u0061ms":{"n\u0061me":"t","\u0061rguments":{}}}`,
		Envelope{Method: "tools/call", ID: "n:1", HasID: true, Name: "t", Arguments: json.RawMessage(`{}`), Valid: true}},
	{"keys in any case",
		`{"METHOD":"tools/call","Id":1,"pArAmS":{"NAME":"t","Arguments":null}}`,
		Envelope{Method: "tools/call", ID: "n:1", HasID: true, Name: "t", Arguments: json.RawMessage(`null`), Valid: true}},
	{"keys folding through Kelvin sign and long s",
		`{"method":"tools/call","paramſ":{"name":"t","argumentſ":1}}`,
		Envelope{Method: "tools/call", Name: "t", Arguments: json.RawMessage(`1`), Valid: true}},
	{"dotless i is not an i",
		`{"method":"ping","ıd":1}`,
		Envelope{Method: "ping", Valid: true}},
	{"protocol version key is exact",
		`{"method":"ping","params":{"_meta":{"IO.modelcontextprotocol/protocolVersion":"a","io.modelcontextprotocol/protocolVersio\u006e":"b"}}}`,
		Envelope{Method: "ping", ProtocolVersion: "b", Valid: true}},

	// Duplicates, nulls and wrong types, as mcp-go's struct decode sees them.
	{"last method wins",
		`{"method":"ping","method":"tools/call"}`,
		Envelope{Method: "tools/call", Valid: true}},
	{"null and numbers leave the method",
		`{"method":"tools/call","method":null,"Method":5}`,
		Envelope{Method: "tools/call", Valid: true}},
	{"null params leave prompts/get's name",
		`{"method":"prompts/get","params":{"name":"a"},"params":null}`,
		Envelope{Method: "prompts/get", Name: "a", Valid: true}},
	{"params merge for prompts/get",
		`{"method":"prompts/get","params":{"name":"a"},"params":{"arguments":{}}}`,
		Envelope{Method: "prompts/get", Name: "a", Arguments: json.RawMessage(`{}`), Valid: true}},
	{"tools/call takes the last params' name",
		`{"method":"tools/call","params":{"name":"a","arguments":{"x":1}},"params":{"name":"b"}}`,
		Envelope{Method: "tools/call", Name: "b", Arguments: json.RawMessage(`{"x":1}`), Valid: true}},
	{"null params clear tools/call's name",
		`{"method":"tools/call","params":{"name":"a"},"params":null}`,
		Envelope{Method: "tools/call", Valid: true}},
	{"null name is ignored",
		`{"method":"tools/call","params":{"name":"a","name":null}}`,
		Envelope{Method: "tools/call", Name: "a", Valid: true}},
	{"name kept whatever the method",
		`{"method":"tools/list","params":{"name":"a"}}`,
		Envelope{Method: "tools/list", Name: "a", Valid: true}},

	// Ids.
	{"string id", `{"id":"7"}`, Envelope{ID: "s:7", HasID: true, Valid: true}},
	{"number ids normalised", `{"id":1.0}`, Envelope{ID: "n:1", HasID: true, Valid: true}},
	{"exponent id", `{"id":1e2}`, Envelope{ID: "n:100", HasID: true, Valid: true}},
	{"negative zero id", `{"id":-0}`, Envelope{ID: "n:-0", HasID: true, Valid: true}},
	{"seven digit id", `{"id":1234567}`, Envelope{ID: "n:1.234567e+06", HasID: true, Valid: true}},
	{"null id", `{"id":7,"id":null}`, Envelope{Valid: true}},
	{"boolean id", `{"id":true}`, Envelope{Valid: true}},
	{"id out of float64 range keeps the last", `{"id":1,"id":1e400}`, Envelope{ID: "n:1", HasID: true, Valid: true}},
	{"escaped string id", `{"id":"a\"b\u00e9"}`, Envelope{ID: "s:a\"bé", HasID: true, Valid: true}},

	// Strings unescaped as encoding/json does.
	{"escaped method",
		`{"method":"tools\/call","params":{"name":"hello\u005fworld"}}`,
		Envelope{Method: "tools/call", Name: "hello_world", Valid: true}},
	{"lone surrogate and invalid UTF-8",
		"{\"method\":\"a\\ud800b\xffc\"}",
		Envelope{Method: "a\uFFFDb\uFFFDc", Valid: true}},
	{"surrogate pair",
		`{"method":"\ud83d\ude00"}`,
		Envelope{Method: "😀", Valid: true}},

	// The protocol version is lost where mcp-go's decode of _meta fails.
	{"params of the wrong type",
		`{"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"v"}},"params":[]}`,
		Envelope{Valid: true}},
	{"number out of range in _meta",
		`{"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"v","x":{"y":[-1e309]}}}}`,
		Envelope{Valid: true}},
	{"_meta not an object",
		`{"params":{"_meta":"v"}}`,
		Envelope{Valid: true}},
	{"null _meta",
		`{"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"v"},"_meta":null}}`,
		Envelope{Valid: true}},
	{"number out of range outside _meta",
		`{"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"v"},"x":1e999}}`,
		Envelope{ProtocolVersion: "v", Valid: true}},

	// Batches.
	{"batch",
		`[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{}}},{"jsonrpc":"2.0","method":"notifications/progress"},{"id":2,"method":"tools/call","params":{"name":"b"}}]`,
		Envelope{Method: "tools/call", ID: "n:1", HasID: true, Name: "a", Arguments: json.RawMessage(`{}`), Batch: true, Messages: 3, Tools: []string{"a", "b"}, Valid: true}},
	{"batch without tool calls", `[{"method":"ping"}]`, Envelope{Method: "ping", Batch: true, Messages: 1, Valid: true}},
	{"empty batch", ` [ ] `, Envelope{Batch: true, Valid: true}},
	{"batch of non-objects", `[1,{"method":"tools/call"}]`, Envelope{Batch: true, Messages: 2, Tools: []string{""}}},

	// Not what mcp-go accepts.
	{"empty body", ``, Envelope{}},
	{"scalar body", `"tools/call"`, Envelope{}},
	{"trailing garbage", `{"method":"ping"}x`, Envelope{Method: "ping"}},
	{"two objects", `{"method":"ping"} {}`, Envelope{Method: "ping"}},
	{"truncated", `{"method":"ping","params":{"name":"a"`, Envelope{Method: "ping", Name: "a"}},
	{"unterminated string", `{"method":"ping`, Envelope{}},
	{"bad escape", `{"method":"\x"}`, Envelope{}},
	{"control character in string", "{\"method\":\"a\tb\"}", Envelope{}},
	{"bad number", `{"id":-}`, Envelope{}},
	{"bad fraction", `{"id":1.}`, Envelope{}},
	{"bad exponent", `{"id":1e+}`, Envelope{}},
	{"bad literal", `{"id":nul}`, Envelope{}},
	{"missing colon", `{"method" "ping"}`, Envelope{}},
	{"trailing comma", `{"method":"ping",}`, Envelope{Method: "ping"}},
	{"mismatched brackets", `{"method":"ping","a":[}`, Envelope{Method: "ping"}},
	{"unclosed batch", `[{"method":"ping"}`, Envelope{Method: "ping", Batch: true, Messages: 1}},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			got := Parse([]byte(tc.body))
			if diff := compare(got, tc.want); diff != "" {
				t.Errorf("Parse(%s):\n%s", tc.body, diff)
			}
			if valid := json.Valid([]byte(tc.body)); !valid && tc.want.Valid {
				t.Fatalf("case says Valid, json.Valid says no")
			}
		})
	}
}

// TestArgumentsAliasBody checks that Arguments is the body's own bytes (no
// copy) and that appending to it cannot write into the body.
func TestArgumentsAliasBody(t *testing.T) {
	body := []byte(`{"method":"tools/call","params":{"arguments":{"a":1},"name":"t"}}`)
	e := Parse(body)
	at := bytes.Index(body, []byte(`{"a":1}`))
	if len(e.Arguments) == 0 || &e.Arguments[0] != &body[at] {
		t.Fatalf("Arguments %q is not a subslice of the body at %d", e.Arguments, at)
	}
	if cap(e.Arguments) != len(e.Arguments) {
		t.Errorf("cap(Arguments) = %d, want %d", cap(e.Arguments), len(e.Arguments))
	}
	_ = append(e.Arguments, 'X')
	if !bytes.Contains(body, []byte(`{"a":1},"name"`)) {
		t.Errorf("appending to Arguments changed the body: %s", body)
	}
}

// TestNestingLimit checks encoding/json's limit of 10000 levels: one more
// is invalid, to json.Valid and Parse alike, whether it is reached in the
// message itself or in the values Parse skips.
func TestNestingLimit(t *testing.T) {
	for _, tc := range []struct {
		prefix, suffix string
		open, close    string
		extra          int // levels outside the repeated part
	}{
		{`{"method":"ping","a":`, `}`, `[`, `]`, 1},
		{`{"method":"ping","params":{"arguments":`, `}}`, `{"a":`, `}`, 2},
		{`{"method":"ping","params":{"_meta":`, `}}`, `{"a":`, `}`, 2},
		{`[{"method":"ping"},`, `]`, `{"a":`, `}`, 1},
	} {
		for _, levels := range []int{10000, 10001} {
			n := levels - tc.extra
			body := []byte(tc.prefix + strings.Repeat(tc.open, n) + "1" + strings.Repeat(tc.close, n) + tc.suffix)
			want := json.Valid(body)
			if want != (levels <= 10000) {
				t.Fatalf("%d levels (%s...): json.Valid = %v; the test's arithmetic is off", levels, tc.prefix, want)
			}
			e := Parse(body)
			if e.Valid != want || e.Method != "ping" {
				t.Errorf("%d levels (%s...): Valid = %v, Method = %q; want %v, \"ping\"", levels, tc.prefix, e.Valid, e.Method, want)
			}
		}
	}
}

// TestLongStrings moves a special byte through every position of the
// eight-byte blocks the string scanner reads at once.
func TestLongStrings(t *testing.T) {
	for n := range 40 {
		for _, special := range []string{`\"`, `\\`, `\u0041`} {
			s := strings.Repeat("a", n) + special + strings.Repeat("b", 17)
			body := []byte(`{"method":"` + s + `","id":1}`)
			var want string
			if err := json.Unmarshal([]byte(`"`+s+`"`), &want); err != nil {
				t.Fatal(err)
			}
			if e := Parse(body); e.Method != want || !e.Valid || e.ID != "n:1" {
				t.Errorf("Parse(%s) = %q (valid %v, id %q), want %q", body, e.Method, e.Valid, e.ID, want)
			}
		}
		for _, bad := range []byte{0, 0x1f, '\n'} {
			body := []byte(`{"method":"` + strings.Repeat("a", n) + string(bad) + strings.Repeat("b", 17) + `"}`)
			if Parse(body).Valid {
				t.Errorf("Parse(%q) is valid; a raw control character is not", body)
			}
		}
		// Bytes of 0x80 and above are not special.
		s := strings.Repeat("é", n) + "\xff"
		if e := Parse([]byte(`{"method":"` + s + `"}`)); e.Method != strings.Repeat("é", n)+"\uFFFD" || !e.Valid {
			t.Errorf("non-ASCII method %q: got %q valid %v", s, e.Method, e.Valid)
		}
	}
}

func TestParseAllocations(t *testing.T) {
	for _, tc := range []struct {
		body string
		max  float64
	}{
		{benchBody, 1}, // the name and the id, in one string
		{`{"jsonrpc":"2.0","method":"notifications/initialized"}`, 0},
		{`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, 1},
		{string(largeBody()), 1},
	} {
		body := []byte(tc.body)
		if got := testing.AllocsPerRun(100, func() { _ = Parse(body) }); got > tc.max {
			t.Errorf("Parse(%.60s...) allocates %v times, want at most %v", tc.body, got, tc.max)
		}
	}
}

func TestContext(t *testing.T) {
	if e := From(context.Background()); e != nil {
		t.Errorf("From(context.Background()) = %+v, want nil", e)
	}
	e := Parse([]byte(benchBody))
	ctx := WithHolder(context.Background(), &e)
	if got := From(ctx); got != &e {
		t.Errorf("From(WithHolder(ctx, e)) = %p, want %p", got, &e)
	}
	// A holder answers with what it holds when asked, not when the
	// context was made.
	h := &holder{}
	ctx = WithHolder(context.Background(), h)
	if got := From(ctx); got != nil {
		t.Errorf("From before the holder has an envelope = %+v, want nil", got)
	}
	h.e = &e
	if got := From(ctx); got != &e {
		t.Errorf("From(WithHolder(ctx, h)) = %p, want %p", got, &e)
	}
}

type holder struct{ e *Envelope }

func (h *holder) Envelope() *Envelope { return h.e }

// holderNode is a context that is its own Holder, answering IsHolderKey.
type holderNode struct {
	context.Context
	holder
}

func (n *holderNode) Value(key any) any {
	if IsHolderKey(key) {
		return n
	}
	return n.Context.Value(key)
}

func TestContextNodeHolder(t *testing.T) {
	type other struct{}
	e := Parse([]byte(benchBody))
	n := &holderNode{Context: context.WithValue(context.Background(), other{}, "kept")}
	if got := From(n); got != nil {
		t.Errorf("From before the node holds an envelope = %+v, want nil", got)
	}
	n.e = &e
	if got := From(n); got != &e {
		t.Errorf("From(node) = %p, want %p", got, &e)
	}
	if IsHolderKey(other{}) || n.Value(other{}) != "kept" {
		t.Error("another key is taken for the holder's")
	}
}
