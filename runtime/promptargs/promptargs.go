// Package promptargs refuses a prompts/get that lacks a required argument
// of its prompt with JSON-RPC error -32602 (invalid params), the code MCP
// gives bad arguments.
//
// The check cannot live in the prompt handler or an mcp-go hook: mcp-go
// v1.2.1 reports every error of a prompt handler as -32603 (internal
// error), and an error of its request hooks as -32600. So it runs on the
// raw message before mcp-go sees it: the HTTP server calls Checker.Check
// for each request (httpserver.Options.Checks), and Stdio wraps the
// streams of the stdio transport.
//
// An argument is missing when params.arguments has no such key, or holds
// null for it (mcp-go would hand the handler an empty string then). An
// empty string is an argument given. Messages the check cannot judge (not
// JSON, a batch, arguments that are not an object, no request id) go on to
// mcp-go, which answers them as before.
package promptargs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpforge/mcpforge/runtime/envelope"
)

// Checker knows the required arguments of the prompts of one MCP server.
// It is safe for concurrent use.
type Checker struct {
	// Refused, when set, is told of every prompts/get the checker answers
	// itself, which mcp-go, and so its hooks and tracer, never see.
	Refused func(Refusal)

	mcp *server.MCPServer
	// required maps a prompt name to its required arguments, in the order
	// the prompt declares them. It is rebuilt when a name is not in it, so
	// a prompt added after New is found on its first call.
	required atomic.Pointer[map[string][]string]
	rebuild  sync.Mutex
}

// Refusal is a prompts/get the checker answered itself.
type Refusal struct {
	// Prompt is the prompt named: one the server has.
	Prompt string
	// Protocol is the protocol version the request declares, "" when it
	// declares none (it is its session's).
	Protocol string
	// ID is the request's id, as decoded from JSON (a string or a float64).
	ID any
	// Code and Message are the JSON-RPC error answered.
	Code    int
	Message string
	// Meta is the request's params._meta, nil without one: it may carry
	// the caller's trace context (traceparent).
	Meta *mcp.Meta
	// Header holds the HTTP request's headers; nil on stdio.
	Header http.Header
	// SessionID is the request's session, "" without one.
	SessionID string
	// Start is when the check began.
	Start time.Time
}

// New returns a Checker of the prompts of s, read now and again whenever
// a call names a prompt it does not know.
func New(s *server.MCPServer) *Checker {
	c := &Checker{mcp: s}
	c.load()
	return c
}

// load reads the prompts of the server. mcp-go's ListPrompts copies its
// whole registry, which is why it runs only on a name not seen before.
func (c *Checker) load() map[string][]string {
	m := map[string][]string{}
	for name, p := range c.mcp.ListPrompts() {
		var req []string
		for _, a := range p.Prompt.Arguments {
			if a.Required {
				req = append(req, a.Name)
			}
		}
		m[name] = req
	}
	c.required.Store(&m)
	return m
}

// requiredOf returns the required arguments of the prompt name, and
// whether the server has such a prompt.
func (c *Checker) requiredOf(name string) ([]string, bool) {
	if req, ok := (*c.required.Load())[name]; ok {
		return req, true
	}
	// A prompt added since the last load, or an unknown one: reload once,
	// under a lock so that a burst of unknown names reloads one at a time.
	c.rebuild.Lock()
	defer c.rebuild.Unlock()
	req, ok := c.load()[name]
	return req, ok
}

// Missing returns the first required argument of the prompt name that
// args (the raw params.arguments of a prompts/get, nil when absent) lacks.
// It returns "" when none is missing, when the server has no such prompt
// (mcp-go answers that itself), or when args is neither an object nor null
// (mcp-go refuses it as invalid params).
func (c *Checker) Missing(name string, args json.RawMessage) string {
	req, ok := c.requiredOf(name)
	if !ok || len(req) == 0 {
		return ""
	}
	var given map[string]json.RawMessage
	if len(args) > 0 {
		// Exact keys, last duplicate wins: what mcp-go's decode into a
		// map[string]string does.
		if err := json.Unmarshal(args, &given); err != nil {
			return ""
		}
	}
	for _, a := range req {
		v, ok := given[a]
		if !ok || string(v) == "null" {
			return a
		}
	}
	return ""
}

// Check returns the JSON-RPC error response to a prompts/get message that
// lacks a required argument, nil for any other message. body is the
// message, e its envelope (envelope.Parse(body)) and h the headers of the
// HTTP request that carried it (nil on stdio). It is an httpserver.Check.
func (c *Checker) Check(h http.Header, body []byte, e *envelope.Envelope) []byte {
	if !e.Valid || e.Batch || e.Method != string(mcp.MethodPromptsGet) {
		return nil
	}
	var start time.Time
	if c.Refused != nil {
		start = time.Now()
	}
	arg := c.Missing(e.Name, e.Arguments)
	if arg == "" {
		return nil
	}
	// The id as the client wrote it, decoded as mcp-go decodes it
	// (encoding/json, last duplicate wins). Without one the message is a
	// notification, which gets no answer: mcp-go handles it.
	var m struct {
		ID     json.RawMessage `json:"id"`
		Params struct {
			Meta json.RawMessage `json:"_meta"` // raw: a _meta mcp-go cannot read is no reason not to answer
		} `json:"params"`
	}
	if json.Unmarshal(body, &m) != nil || len(m.ID) == 0 || string(m.ID) == "null" {
		return nil
	}
	rpcErr := rpcError{
		Code:    mcp.INVALID_PARAMS,
		Message: fmt.Sprintf("missing required argument %q of prompt %q", arg, e.Name),
	}
	resp, err := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   rpcError        `json:"error"`
	}{JSONRPC: mcp.JSONRPC_VERSION, ID: m.ID, Error: rpcErr})
	if err != nil {
		return nil
	}
	if c.Refused != nil {
		r := Refusal{
			Prompt: e.Name, Protocol: e.ProtocolVersion,
			Code: rpcErr.Code, Message: rpcErr.Message,
			Header: h, Start: start,
		}
		_ = json.Unmarshal(m.ID, &r.ID)
		if len(m.Params.Meta) > 0 && json.Unmarshal(m.Params.Meta, &r.Meta) != nil {
			r.Meta = nil // not one mcp-go would read
		}
		if h != nil {
			r.SessionID = h.Get(server.HeaderKeySessionID)
		}
		c.Refused(r)
	}
	return resp
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}
