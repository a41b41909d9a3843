package auth

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpforge/mcpforge/runtime/envelope"
)

// RequiredScopes returns the scopes a caller needs to use tool (nil when
// the tool needs none).
func (a *Authenticator) RequiredScopes(tool string) []string {
	return a.toolScopes[tool]
}

// mergeToolScopes returns the tool_scopes entries of the configuration
// ("tool=scope [scope ...]"), followed by one such entry for each tool that
// declared scopes in code and that the configuration does not name, in tool
// name order. A configured entry for a tool wins over its code. Malformed
// configured entries are kept as they are, for validation to report.
func mergeToolScopes(configured []string, declared map[string][]string) []string {
	named := make(map[string]bool, len(configured))
	for _, e := range configured {
		name, _, _ := strings.Cut(e, "=")
		named[strings.TrimSpace(name)] = true
	}
	merged := slices.Clone(configured)
	for _, name := range slices.Sorted(maps.Keys(declared)) {
		if !named[name] && len(declared[name]) > 0 {
			merged = append(merged, name+"="+strings.Join(declared[name], " "))
		}
	}
	return merged
}

// Scopes is the scope-check middleware: a request calling a tool its caller
// lacks scopes for gets 403 with an insufficient_scope challenge that
// clients can act on. The called tools are those of the JSON-RPC envelope
// httpserver parsed into the request context (the tools/call, or every
// tools/call of a batch) and the Mcp-Name header of a 2026-07-28
// tools/call; the body is never read here.
//
// A POST with a body but no envelope in its context is refused with 500
// to every caller who lacks some tool scope: what it calls is unknown, and
// a chain wired without the envelope must fail closed rather than skip the
// check.
func (a *Authenticator) Scopes(next http.Handler) http.Handler {
	if a.anonymous || len(a.allToolScopes) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := a.callerOf(r.Context())
		// A caller holding every scope any tool needs may call anything:
		// what it calls does not matter.
		if !id.lacksAny(a.allToolScopes) {
			next.ServeHTTP(w, r)
			return
		}
		tool, known := a.forbiddenTool(r, id)
		switch {
		case !known:
			a.logger.Error("scope check without the JSON-RPC envelope; request refused (Scopes must run behind httpserver's body reading)", "path", r.URL.Path)
			writeJSON(w, http.StatusInternalServerError, "server_error", "the server cannot tell which tools this request calls")
		case tool != "":
			if a.observer != nil {
				a.observer.AuthFailed(ReasonForbidden)
			}
			scope := strings.Join(a.toolScopes[tool], " ")
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+scope+`", resource_metadata="`+a.resourceMeta+`"`)
			writeJSON(w, http.StatusForbidden, "insufficient_scope", fmt.Sprintf("tool %q needs scope %s", tool, scope))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// forbiddenTool returns the first tool r calls that id lacks scopes for, ""
// when there is none. known is false when r is a POST with a body whose
// envelope is not in its context: then nothing is known.
func (a *Authenticator) forbiddenTool(r *http.Request, id *Identity) (tool string, known bool) {
	if strings.EqualFold(r.Header.Get("Mcp-Method"), "tools/call") {
		if n := r.Header.Get("Mcp-Name"); n != "" && id.lacksAny(a.toolScopes[n]) {
			return n, true
		}
	}
	e := envelope.From(r.Context())
	switch {
	case e == nil:
		return "", r.Method != http.MethodPost || r.Body == nil || r.Body == http.NoBody
	case e.Batch:
		for _, t := range e.Tools {
			if id.lacksAny(a.toolScopes[t]) {
				return t, true
			}
		}
	case e.Method == "tools/call":
		if id.lacksAny(a.toolScopes[e.Name]) {
			return e.Name, true
		}
	}
	return "", true
}

// Callers without an identity in their context: see callerOf.
var (
	unrestrictedCaller = &Identity{Anonymous: true, Unrestricted: true}
	unknownCaller      = &Identity{Anonymous: true}
)

// callerOf returns the identity of ctx. Without one, the "none" strategy
// treats the caller as unrestricted; the others as a caller with no scopes,
// so a wiring mistake fails closed.
func (a *Authenticator) callerOf(ctx context.Context) *Identity {
	if id := identityFrom(ctx); id != nil {
		return id
	}
	if a.anonymous {
		return unrestrictedCaller
	}
	return unknownCaller
}

// ToolMiddleware enforces the per-tool scopes inside the MCP server, where
// no HTTP status can be sent (stdio) and behind the HTTP check, whatever
// reaches the tool: a caller without the scopes gets a tool error naming
// them. Install
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
	if len(tools) == 1 {
		// The tool of a tools/call: answered without copying a Tool.
		if id.lacksAny(a.toolScopes[tools[0].Name]) {
			return tools[:0]
		}
		return tools
	}
	out := make([]mcp.Tool, 0, len(tools))
	for _, t := range tools {
		if !id.lacksAny(a.toolScopes[t.Name]) {
			out = append(out, t)
		}
	}
	return out
}
