// Package envelope holds what the server learns of an MCP JSON-RPC message
// before mcp-go runs it: its method, id, tool or prompt name, resource URI,
// protocol version and where its arguments are. The HTTP pipeline parses a
// request body once, with Parse, and keeps the result in the request
// context (WithHolder, From), so that the access log, the session check and
// the scope check share one parse instead of each decoding the body again.
//
// # Speed
//
// Parse is a single pass over the bytes by hand: it looks at the keys that
// matter and skips every other value (tool arguments above all) without
// decoding or allocating. A typical tools/call costs one allocation, which
// holds the result strings; method names MCP defines take none.
//
// # What mcp-go will run
//
// The fields are what mcp-go v1.2.1 decodes from the same bytes, because a
// scope check that read a different tool name than the one mcp-go calls
// could be walked around. mcp-go decodes with encoding/json into structs,
// so Parse follows encoding/json's rules rather than a strict reading of
// JSON-RPC:
//
//   - keys are matched as encoding/json matches struct fields: exactly or
//     case-insensitively ("METHOD", "Params", even "paramſ" with a long s),
//     and escaped keys ("\u006dethod") after unescaping;
//   - of duplicate keys the last wins, but a value of the wrong type, null
//     included, is ignored: {"method":"tools/call","method":null} is a
//     tools/call;
//   - duplicate "params" objects merge, key by key, except that the tool
//     name of a tools/call is that of the last "params" (mcp-go's
//     CallToolParams decodes each occurrence afresh, and resets the name on
//     null);
//   - strings are unescaped as encoding/json does, invalid UTF-8 and lone
//     surrogates becoming U+FFFD;
//   - the protocol version in params._meta is exact-keyed (mcp-go keeps
//     _meta as a map) and is "" whenever mcp-go's own decode of
//     params._meta would fail, as mcp-go then ignores it too.
//
// For a body mcp-go rejects (invalid JSON, a number where a string
// belongs) the fields are a best effort; Valid says whether the body is
// syntactically valid, with the same nesting limit as encoding/json.
// FuzzParse holds Parse to a reference built on encoding/json and, where
// mcp-go accepts the message, to mcp-go's own types.
package envelope

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Envelope is what the server needs to know of an MCP JSON-RPC message
// before mcp-go runs it. Parse fills it; for a batch, the fields other
// than Batch, Messages, Tools and Valid describe the first message.
type Envelope struct {
	// Method is the JSON-RPC method, "" when absent or not a string.
	Method string
	// ID is a key of the request id, for matching a response or a
	// cancellation to its request: "s:" followed by a string id, or "n:"
	// followed by a number id as strconv.FormatFloat(v, 'g', -1, 64)
	// writes it (so 1, 1.0 and 1e0 are one id, as they are to mcp-go).
	// It is "" when there is no id, a null one, or one of another type.
	ID string
	// HasID reports an id that is a string or a number: a request. Note
	// that mcp-go also runs a message whose id is true, an object or an
	// array (answering it with that id); only a message without an id, or
	// with a null one, is a notification to it. Do not skip a check
	// because HasID is false.
	HasID bool
	// Name is params.name when it is a string: the tool of a tools/call,
	// the prompt of a prompts/get. It is kept whatever the method. Of a
	// tools/call with more than one "params", it is the last one's name,
	// "" if that has none; otherwise the last string name of any.
	Name string
	// URI is params.uri when it is a string (resources/read,
	// resources/subscribe, resources/unsubscribe).
	URI string
	// Arguments is params.arguments as it appears in the body, null
	// included: a subslice of the body, not a copy, with its capacity cut
	// so that appending to it cannot overwrite the body. It is nil when
	// there are no arguments.
	Arguments json.RawMessage
	// ProtocolVersion is params._meta["io.modelcontextprotocol/protocolVersion"]
	// when it is a string (requests of protocol 2026-07-28 and later).
	ProtocolVersion string
	// Batch reports a body that is a JSON array: a JSON-RPC batch, which
	// protocol 2025-03-26 allowed. mcp-go v1.2.1 refuses batches.
	Batch bool
	// Messages is the number of elements of a batch (0 when the body is
	// not a batch).
	Messages int
	// Tools is, in a batch, the tool name of every tools/call message in
	// order ("" for one without a name); nil otherwise.
	Tools []string
	// Valid reports a body that is syntactically valid JSON and is one
	// object or an array of objects. mcp-go rejects any other body.
	Valid bool
}

// Parse reads the envelope of a JSON-RPC body. It never fails: a body that
// is not JSON, or not an object or array of objects, yields Valid false and
// whatever fields could be read before the problem. Parse keeps a subslice
// of body in Arguments; every string is a copy.
func Parse(body []byte) (e Envelope) {
	s := scanner{b: body}
	s.ws()
	if s.i >= len(body) {
		return e
	}
	switch body[s.i] {
	case '{':
		var m message
		s.message(&m, 0)
		s.end()
		e.Valid = !s.bad
		s.finish(&e, &m, nil)
	case '[':
		s.batch(&e)
	}
	return e
}

// batch parses a body that is a JSON array: the first element in full, the
// method and tool name of the others, and the element count.
func (s *scanner) batch(e *Envelope) {
	e.Batch = true
	s.i++ // '['
	var first message
	var tools []strSpan
	var small [8]strSpan // the tools/call names of most batches, without allocating
	tools = small[:0]
	allObjects := true
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
	} else {
		for !s.bad {
			s.ws()
			if s.i >= len(s.b) {
				s.bad = true
				break
			}
			if s.b[s.i] == '{' {
				m := &first
				var other message
				if e.Messages > 0 {
					m = &other
				}
				s.message(m, 1)
				if s.methodIs(m, "tools/call") {
					tools = append(tools, m.toolName())
				}
			} else {
				allObjects = false
				s.skipValue(1, false)
			}
			e.Messages++
			if s.bad {
				break
			}
			s.ws()
			if s.i < len(s.b) && s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.i < len(s.b) && s.b[s.i] == ']' {
				s.i++
				break
			}
			s.bad = true
		}
	}
	s.end()
	e.Valid = !s.bad && allObjects
	if len(tools) == 0 {
		tools = nil
	}
	s.finish(e, &first, tools)
}

// end checks that only whitespace follows the top-level value.
func (s *scanner) end() {
	s.ws()
	if s.i != len(s.b) {
		s.bad = true
	}
}

// An idKind says what the id of a message is.
type idKind uint8

const (
	idNone   idKind = iota // absent or null
	idString               // a string: "s:"
	idNumber               // a number: "n:"
	idOther                // true, false, an object or an array
)

// message is what one pass over a JSON-RPC message object found: spans of
// the body, turned into strings by finish.
type message struct {
	method     strSpan
	id         strSpan // the string's contents, or the number's text
	idKind     idKind
	nameMerged strSpan // the last string params.name of any params object
	nameLast   strSpan // params.name of the last params value only
	uri        strSpan
	version    strSpan // params._meta protocol version, the last _meta's
	metaBad    bool    // mcp-go's decode of params._meta fails: no version
	args       [2]int  // params.arguments: body[args[0]:args[1]]
	hasArgs    bool
}

// toolName is the name mcp-go's tools/call sees: that of the last params.
func (m *message) toolName() strSpan { return m.nameLast }

// strSpan is the contents of a JSON string in the body, between its quotes.
type strSpan struct {
	start, end int
	set        bool // the string was found
	esc        bool // it holds a backslash: it must be unescaped
}

// methodIs reports whether the method of m is lit, unescaping it if need be.
func (s *scanner) methodIs(m *message, lit string) bool {
	sp := m.method
	if !sp.set {
		return false
	}
	raw := s.b[sp.start:sp.end]
	if !sp.esc {
		return string(raw) == lit
	}
	var buf [64]byte
	return string(appendUnquoted(buf[:0], raw)) == lit
}

// finish turns the spans of the first message into e's strings, all of
// them (and the batch's tool names) held by one allocation.
func (s *scanner) finish(e *Envelope, m *message, tools []strSpan) {
	name := m.nameMerged
	if s.methodIs(m, "tools/call") {
		name = m.toolName()
	}
	version := m.version
	if m.metaBad {
		version = strSpan{}
	}
	if m.hasArgs {
		e.Arguments = json.RawMessage(s.b[m.args[0]:m.args[1]:m.args[1]])
	}

	// Interned method names cost nothing; the others are built below.
	method := m.method
	if method.set && !method.esc {
		if known := knownMethod(s.b[method.start:method.end]); known != "" {
			e.Method = known
			method = strSpan{}
		}
	}

	size := s.sizeOf(method) + s.sizeOf(name) + s.sizeOf(m.uri) + s.sizeOf(version)
	if m.idKind == idString || m.idKind == idNumber {
		size += 2 + s.sizeOf(m.id) + 32 // prefix, and room for a number's %g form
	}
	for _, t := range tools {
		size += s.sizeOf(t)
	}
	if size == 0 {
		if tools != nil {
			e.Tools = make([]string, len(tools))
		}
		return
	}
	var sb strings.Builder
	sb.Grow(size)
	var offs [5][2]int
	for i, sp := range [...]strSpan{method, name, m.uri, version} {
		offs[i][0] = sb.Len()
		s.write(&sb, sp)
		offs[i][1] = sb.Len()
	}
	if m.idKind == idString || m.idKind == idNumber {
		offs[4][0] = sb.Len()
		raw := s.b[m.id.start:m.id.end]
		if m.idKind == idString {
			sb.WriteString("s:")
			s.write(&sb, m.id)
		} else {
			sb.WriteString("n:")
			writeNumber(&sb, raw)
		}
		offs[4][1] = sb.Len()
	}
	var toolOffs [][2]int
	var smallOffs [8][2]int
	toolOffs = smallOffs[:0]
	for _, t := range tools {
		start := sb.Len()
		s.write(&sb, t)
		toolOffs = append(toolOffs, [2]int{start, sb.Len()})
	}
	all := sb.String()
	if method.set {
		e.Method = all[offs[0][0]:offs[0][1]]
	}
	e.Name = all[offs[1][0]:offs[1][1]]
	e.URI = all[offs[2][0]:offs[2][1]]
	e.ProtocolVersion = all[offs[3][0]:offs[3][1]]
	if m.idKind == idString || m.idKind == idNumber {
		e.ID, e.HasID = all[offs[4][0]:offs[4][1]], true
	}
	if tools != nil {
		e.Tools = make([]string, len(tools))
		for i, o := range toolOffs {
			e.Tools[i] = all[o[0]:o[1]]
		}
	}
}

// sizeOf bounds the bytes sp takes once unescaped: its length, or three
// times that when it must be unescaped or holds invalid UTF-8 (each bad
// byte becomes the three bytes of U+FFFD).
func (s *scanner) sizeOf(sp strSpan) int {
	if !sp.set {
		return 0
	}
	raw := s.b[sp.start:sp.end]
	if !sp.esc && utf8.Valid(raw) {
		return len(raw)
	}
	return 3 * len(raw)
}

// write appends the string of sp to sb, unescaped as encoding/json does.
func (s *scanner) write(sb *strings.Builder, sp strSpan) {
	if !sp.set {
		return
	}
	raw := s.b[sp.start:sp.end]
	if !sp.esc && utf8.Valid(raw) {
		sb.Write(raw)
		return
	}
	var buf [128]byte
	sb.Write(appendUnquoted(buf[:0], raw))
}

// writeNumber appends the number text raw in the form mcp-go's ids take:
// decoded to a float64 by encoding/json, written back by strconv.
func writeNumber(sb *strings.Builder, raw []byte) {
	if shortInteger(raw) {
		sb.Write(raw) // FormatFloat writes it unchanged
		return
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return // not reached: out-of-range ids are not kept
	}
	var buf [32]byte
	sb.Write(strconv.AppendFloat(buf[:0], f, 'g', -1, 64))
}

// shortInteger reports whether raw, a valid JSON number, is an integer of
// at most six digits, which strconv.FormatFloat(v, 'g', -1, 64) writes
// exactly as JSON does (seven digits and more take an exponent).
func shortInteger(raw []byte) bool {
	digits := raw
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 6 {
		return false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// knownMethod returns the method name MCP defines that raw spells, or "".
// Returning a constant spares an allocation for nearly every message.
func knownMethod(raw []byte) string {
	switch string(raw) {
	case "tools/call":
		return "tools/call"
	case "tools/list":
		return "tools/list"
	case "initialize":
		return "initialize"
	case "notifications/initialized":
		return "notifications/initialized"
	case "ping":
		return "ping"
	case "prompts/get":
		return "prompts/get"
	case "prompts/list":
		return "prompts/list"
	case "resources/read":
		return "resources/read"
	case "resources/list":
		return "resources/list"
	case "resources/templates/list":
		return "resources/templates/list"
	case "resources/subscribe":
		return "resources/subscribe"
	case "resources/unsubscribe":
		return "resources/unsubscribe"
	case "completion/complete":
		return "completion/complete"
	case "logging/setLevel":
		return "logging/setLevel"
	case "notifications/cancelled":
		return "notifications/cancelled"
	case "notifications/progress":
		return "notifications/progress"
	case "notifications/roots/list_changed":
		return "notifications/roots/list_changed"
	case "server/discover":
		return "server/discover"
	case "subscriptions/listen":
		return "subscriptions/listen"
	case "tasks/get":
		return "tasks/get"
	case "tasks/list":
		return "tasks/list"
	case "tasks/result":
		return "tasks/result"
	case "tasks/cancel":
		return "tasks/cancel"
	}
	return ""
}

// ctxKey is the context key of the request's envelope.
type ctxKey struct{}

// Holder holds the envelope of a request once its body has been parsed.
type Holder interface {
	// Envelope returns the envelope, or nil before the body is parsed.
	Envelope() *Envelope
}

// Envelope returns e itself: an envelope parsed already is its own Holder.
func (e *Envelope) Envelope() *Envelope { return e }

// WithHolder returns a copy of ctx whose envelope is the one h holds at
// the time From asks: a server that parses the body later in the same
// request needs no second context.
func WithHolder(ctx context.Context, h Holder) context.Context {
	return context.WithValue(ctx, ctxKey{}, h)
}

// IsHolderKey reports whether key is the context key under which From
// looks for the Holder: a context type of its own (one node per request
// rather than one per value) answers that key with itself.
func IsHolderKey(key any) bool {
	_, ok := key.(ctxKey)
	return ok
}

// From returns the envelope ctx carries, or nil when it carries none (a
// request whose body was not read, or a context outside a request).
func From(ctx context.Context) *Envelope {
	if h, ok := ctx.Value(ctxKey{}).(Holder); ok {
		return h.Envelope()
	}
	return nil
}
