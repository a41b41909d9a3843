package envelope

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// FuzzParse holds Parse to two references on every body json.Valid
// accepts: reference, built on encoding/json, for every field, and
// mcp-go's own types for the fields of a message mcp-go would run. On any
// other body Parse must only not panic and say Valid false.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.body))
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := Parse(body)
		if !json.Valid(body) {
			if got.Valid {
				t.Errorf("Parse(%q).Valid = true; json.Valid says false", body)
			}
			return
		}
		if diff := compare(got, reference(body)); diff != "" {
			t.Errorf("Parse(%q) differs from the encoding/json reference:\n%s", body, diff)
		}
		if diff := agreesWithMCPGo(got, body); diff != "" {
			t.Errorf("Parse(%q) differs from mcp-go:\n%s", body, diff)
		}
	})
}

// fuzzSeeds are bodies beyond parseCases that once broke Parse or a
// reference, or that reach corners the cases do not.
var fuzzSeeds = []string{
	`{"params":{"name":"a"},"params":"x","method":"tools/call"}`,
	`{"method":"tools/call","params":{"name":"a","arguments":{"x":1}},"params":{}}`,
	`{"method":"prompts/get","params":{"name":"a"},"params":null}`,
	`{"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"v","n":[1e999]}}}`,
	`{"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"v"}},"params":{"_meta":null}}`,
	`{"params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"v"}},"params":{"_meta":5}}`,
	`{"params":{"_meta":{"io.modelcontextprotocol/protocolVersio\u006e":"v\u00e9"}}}`,
	`{"id":1,"id":1e400}`,
	`{"id":"\ud83d\ude00\udc00"}`,
	`{"ıd":1,"İD":2,"\u212aey":3}`,
	`[{"method":"tools/call"},5,{"method":"tools/call","params":{"name":"b"}}]`,
	`[]`,
	" \t[\n{}\r] ",
	`{"a":[[[{"b":[{},[]]}]]],"method":"x"}`,
	`{"method":"\"\\\/\b\f\n\r\t\u0000"}`,
	"{\"method\":\"\xff\xfe\xed\xa0\x80\"}",
}

// reference is what Parse should return for a body json.Valid accepts,
// computed with encoding/json: struct decodes whose type errors are
// ignored, as mcp-go's (which fail on them) would have left the fields.
func reference(body []byte) Envelope {
	var e Envelope
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return e
	}
	switch trimmed[0] {
	case '{':
		e = referenceMessage(trimmed)
		e.Valid = true
	case '[':
		var elems []json.RawMessage
		if err := json.Unmarshal(body, &elems); err != nil {
			panic(err) // json.Valid said yes
		}
		for i, el := range elems {
			if el[0] != '{' {
				continue
			}
			m := referenceMessage(el)
			if i == 0 {
				e = m
			}
			if m.Method == "tools/call" {
				e.Tools = append(e.Tools, m.Name)
			}
		}
		e.Batch, e.Messages, e.Valid = true, len(elems), allObjects(elems)
	}
	return e
}

func allObjects(elems []json.RawMessage) bool {
	for _, el := range elems {
		if el[0] != '{' {
			return false
		}
	}
	return true
}

// referenceMessage decodes one message object as mcp-go's structs see it.
func referenceMessage(raw []byte) Envelope {
	var e Envelope
	// Method, id, and params merged over duplicates: mcp-go's base
	// message, prompts/get and resources/read.
	var msg struct {
		Method string `json:"method"`
		ID     any    `json:"id"`
		Params struct {
			Name      string          `json:"name"`
			URI       string          `json:"uri"`
			Arguments json.RawMessage `json:"arguments"`
		} `json:"params"`
	}
	_ = json.Unmarshal(raw, &msg)
	e.Method, e.Name, e.URI = msg.Method, msg.Params.Name, msg.Params.URI
	if msg.Params.Arguments != nil {
		e.Arguments = msg.Params.Arguments
	}
	switch id := msg.ID.(type) {
	case string:
		e.ID, e.HasID = "s:"+id, true
	case float64:
		e.ID, e.HasID = "n:"+strconv.FormatFloat(id, 'g', -1, 64), true
	}
	// tools/call: the name of the last params only (mcp-go's
	// CallToolParams.UnmarshalJSON).
	if e.Method == "tools/call" {
		var call struct {
			Params lastParamsName `json:"params"`
		}
		_ = json.Unmarshal(raw, &call)
		e.Name = call.Params.name
	}
	// The protocol version: mcp-go's wrapper, whose decode must succeed.
	var w struct {
		Params struct {
			Meta *metaMap `json:"_meta"`
		} `json:"params"`
	}
	if json.Unmarshal(raw, &w) == nil && w.Params.Meta != nil {
		e.ProtocolVersion, _ = (*w.Params.Meta)[metaVersionKey].(string)
	}
	return e
}

// lastParamsName decodes each params value afresh, as mcp-go's
// CallToolParams does (null included), keeping only its name.
type lastParamsName struct{ name string }

func (p *lastParamsName) UnmarshalJSON(b []byte) error {
	var raw struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(b, &raw)
	p.name = raw.Name
	return nil
}

// metaMap decodes _meta as mcp-go's Meta does: into a fresh map, failing
// on what a map[string]any cannot hold.
type metaMap map[string]any

func (m *metaMap) UnmarshalJSON(b []byte) error {
	raw := make(map[string]any)
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*m = raw
	return nil
}

// agreesWithMCPGo compares e with what mcp-go v1.2.1's own types decode
// from a single message it would run, and returns the differences.
func agreesWithMCPGo(e Envelope, body []byte) string {
	if e.Batch {
		return "" // mcp-go refuses batches
	}
	var d differ
	// The base message of server.HandleMessage.
	var base struct {
		JSONRPC string        `json:"jsonrpc"`
		Method  mcp.MCPMethod `json:"method"`
		ID      any           `json:"id,omitempty"`
		Result  any           `json:"result,omitempty"`
	}
	if json.Unmarshal(body, &base) != nil {
		return "" // mcp-go answers a parse error and runs nothing
	}
	d.str("Method", e.Method, string(base.Method))
	switch id := base.ID.(type) {
	case string:
		d.str("ID", e.ID, "s:"+id)
	case float64:
		d.str("ID", e.ID, "n:"+strconv.FormatFloat(id, 'g', -1, 64))
	default:
		d.str("ID", e.ID, "")
	}
	switch base.Method {
	case mcp.MethodToolsCall:
		var r mcp.CallToolRequest
		if json.Unmarshal(body, &r) == nil {
			d.str("Name", e.Name, r.Params.Name)
			d.raw("Arguments", e.Arguments, r.Params.RawArguments)
		}
	case mcp.MethodPromptsGet:
		var r mcp.GetPromptRequest
		if json.Unmarshal(body, &r) == nil {
			d.str("Name", e.Name, r.Params.Name)
		}
	case mcp.MethodResourcesRead:
		var r mcp.ReadResourceRequest
		if json.Unmarshal(body, &r) == nil {
			d.str("URI", e.URI, r.Params.URI)
		}
	case mcp.MethodResourcesSubscribe:
		var r mcp.SubscribeRequest
		if json.Unmarshal(body, &r) == nil {
			d.str("URI", e.URI, r.Params.URI)
		}
	}
	// The wrapper of extractRequestProtocolInfo and detectRequestEra.
	var w struct {
		Params struct {
			Meta *mcp.Meta `json:"_meta"`
		} `json:"params"`
	}
	version := ""
	if json.Unmarshal(body, &w) == nil {
		version = w.Params.Meta.ProtocolVersion()
	}
	d.str("ProtocolVersion", e.ProtocolVersion, version)
	return d.String()
}

// compare returns the differences of got from want, field by field.
func compare(got, want Envelope) string {
	var d differ
	d.str("Method", got.Method, want.Method)
	d.str("ID", got.ID, want.ID)
	d.bool("HasID", got.HasID, want.HasID)
	d.str("Name", got.Name, want.Name)
	d.str("URI", got.URI, want.URI)
	d.raw("Arguments", got.Arguments, want.Arguments)
	d.str("ProtocolVersion", got.ProtocolVersion, want.ProtocolVersion)
	d.bool("Batch", got.Batch, want.Batch)
	if got.Messages != want.Messages {
		d.add("Messages", strconv.Itoa(got.Messages), strconv.Itoa(want.Messages))
	}
	if !slices.Equal(got.Tools, want.Tools) || (got.Tools == nil) != (want.Tools == nil) {
		d.add("Tools", strconv.Quote(strings.Join(got.Tools, "|"))+" nil="+strconv.FormatBool(got.Tools == nil),
			strconv.Quote(strings.Join(want.Tools, "|"))+" nil="+strconv.FormatBool(want.Tools == nil))
	}
	d.bool("Valid", got.Valid, want.Valid)
	return d.String()
}

// differ collects field differences as lines of text.
type differ struct{ strings.Builder }

func (d *differ) add(field, got, want string) {
	d.WriteString("\t" + field + " = " + got + ", want " + want + "\n")
}

func (d *differ) str(field, got, want string) {
	if got != want {
		d.add(field, strconv.Quote(got), strconv.Quote(want))
	}
}

func (d *differ) bool(field string, got, want bool) {
	if got != want {
		d.add(field, strconv.FormatBool(got), strconv.FormatBool(want))
	}
}

func (d *differ) raw(field string, got, want []byte) {
	if !bytes.Equal(got, want) || (got == nil) != (want == nil) {
		d.add(field, rawString(got), rawString(want))
	}
}

func rawString(b []byte) string {
	if b == nil {
		return "nil"
	}
	return strconv.Quote(string(b))
}
