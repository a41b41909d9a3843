package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// maxPeekBytes bounds how much of a request body is read to find the tools
// it calls. A larger body is passed on unread; the tool middleware still
// enforces scopes on it, only without an HTTP 403.
const maxPeekBytes = 8 << 20

// RequiredScopes returns the scopes a caller needs to use tool (nil when
// the tool needs none).
func (a *Authenticator) RequiredScopes(tool string) []string {
	return a.toolScopes[tool]
}

// calledTools returns the names of the tools a JSON-RPC POST calls: from the
// Mcp-Method and Mcp-Name headers (protocol 2026-07-28) and from the body,
// a single message or a batch. The body is read and put back, so the
// handler behind sees it unchanged.
func calledTools(r *http.Request) []string {
	var names []string
	if strings.EqualFold(r.Header.Get("Mcp-Method"), "tools/call") {
		if n := r.Header.Get("Mcp-Name"); n != "" {
			names = append(names, n)
		}
	}
	if r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody {
		return names
	}
	body, complete := peekBody(r)
	if !complete {
		return names
	}
	body = bytes.TrimSpace(body)
	if !bytes.Contains(body, []byte("tools/call")) && bytes.IndexByte(body, '\\') < 0 {
		// No tools/call here, and no JSON escape that could spell one
		// ("tools\/call", "\u0074ools/call"): nothing to decode. Most
		// requests of a session are not tool calls.
		return names
	}
	if fast, ok := calledToolsTyped(body); ok {
		return append(names, fast...)
	}
	return append(names, calledToolsGeneral(body)...)
}

// calledToolsGeneral finds the tools/call names in any JSON-RPC body: a
// message or a batch, each message's params decoded on their own.
func calledToolsGeneral(body []byte) []string {
	type message struct {
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	var msgs []message
	switch {
	case len(body) > 0 && body[0] == '[':
		if json.Unmarshal(body, &msgs) != nil {
			return nil
		}
	case len(body) > 0 && body[0] == '{':
		var m message
		if json.Unmarshal(body, &m) != nil {
			return nil
		}
		msgs = append(msgs, m)
	}
	var names []string
	for _, m := range msgs {
		if m.Method != "tools/call" {
			continue
		}
		var p struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(m.Params, &p) == nil && p.Name != "" {
			names = append(names, p.Name)
		}
	}
	return names
}

// calledToolsTyped is the one-pass decode of the usual body: a message (or
// batch) whose params, when present, are an object with a string name. ok
// is false for anything else, which the general decode then handles; where
// both succeed they find the same names.
func calledToolsTyped(body []byte) (names []string, ok bool) {
	type message struct {
		Method string `json:"method"`
		Params *struct {
			Name string `json:"name"`
		} `json:"params"`
	}
	var msgs []message
	switch {
	case len(body) > 0 && body[0] == '[':
		if json.Unmarshal(body, &msgs) != nil {
			return nil, false
		}
	case len(body) > 0 && body[0] == '{':
		var m message
		if json.Unmarshal(body, &m) != nil {
			return nil, false
		}
		msgs = append(msgs, m)
	default:
		return nil, false
	}
	for _, m := range msgs {
		if m.Method == "tools/call" && m.Params != nil && m.Params.Name != "" {
			names = append(names, m.Params.Name)
		}
	}
	return names, true
}

// peekBody reads up to maxPeekBytes of the body and replaces r.Body with a
// reader that yields the same bytes (and the unread rest). complete is false
// when the body was larger or could not be read.
func peekBody(r *http.Request) (body []byte, complete bool) {
	orig := r.Body
	buf, err := io.ReadAll(io.LimitReader(orig, maxPeekBytes+1))
	r.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(buf), &errReader{err: err, r: orig}), closer: orig}
	if err != nil || len(buf) > maxPeekBytes {
		return nil, false
	}
	return buf, true
}

// replayBody is a request body put back after peeking.
type replayBody struct {
	io.Reader
	closer io.Closer
}

func (b *replayBody) Close() error { return b.closer.Close() }

// errReader continues with the original body after the peeked bytes, or
// repeats the error that stopped the peek (such as "body too large" from
// http.MaxBytesReader), so the handler behind sees it too.
type errReader struct {
	err error
	r   io.Reader
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return e.r.Read(p)
}

// insufficientScope returns the first called tool the caller lacks scopes
// for, with the scopes that tool needs.
func (a *Authenticator) insufficientScope(id Identity, tools []string) (string, []string) {
	for _, t := range tools {
		need := a.toolScopes[t]
		if len(id.missingScopes(need)) > 0 {
			return t, need
		}
	}
	return "", nil
}

// callerOf returns the identity of ctx. Without one, the "none" strategy
// treats the caller as unrestricted; the others as a caller with no scopes,
// so a wiring mistake fails closed.
func (a *Authenticator) callerOf(ctx context.Context) Identity {
	if id, ok := identityFrom(ctx); ok {
		return id
	}
	if a.strategy == strategyNone {
		return Identity{Anonymous: true, Unrestricted: true}
	}
	return Identity{Anonymous: true}
}

// ToolMiddleware enforces the per-tool scopes inside the MCP server, where
// no HTTP status can be sent (stdio, or a body the HTTP check could not
// read): a caller without the scopes gets a tool error naming them. Install
// it with server.WithToolHandlerMiddleware(a.ToolMiddleware).
func (a *Authenticator) ToolMiddleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		need := a.toolScopes[req.Params.Name]
		if len(need) > 0 {
			if missing := a.callerOf(ctx).missingScopes(need); len(missing) > 0 {
				return mcp.NewToolResultError(fmt.Sprintf(
					"insufficient scope: tool %q needs scope %s; the caller lacks %s",
					req.Params.Name, strings.Join(need, " "), strings.Join(missing, " "))), nil
			}
		}
		return next(ctx, req)
	}
}

// ToolFilter leaves the tools the caller lacks scopes for out of tools/list
// when hide_unauthorized_tools is on (mcp-go applies filters to tools/call
// too, where a hidden tool is then "not found"). Install it with
// server.WithToolFilter(a.ToolFilter).
func (a *Authenticator) ToolFilter(ctx context.Context, tools []mcp.Tool) []mcp.Tool {
	if !a.hideTools || len(a.toolScopes) == 0 {
		return tools
	}
	id := a.callerOf(ctx)
	out := make([]mcp.Tool, 0, len(tools))
	for _, t := range tools {
		if len(id.missingScopes(a.toolScopes[t.Name])) == 0 {
			out = append(out, t)
		}
	}
	return out
}
