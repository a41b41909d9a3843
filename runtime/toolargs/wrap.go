package toolargs

import (
	"context"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// AddTools adds tools to s, each handler wrapped so that it runs only on
// arguments its tool's input schema admits, that schema read as s publishes
// it (server.WithStrictInputSchemaDefault makes an object schema that says
// nothing of additionalProperties refuse unknown arguments). Each schema is
// compiled here, once; a call then costs the check of its arguments and
// nothing else.
//
// Arguments that break the schema get a tool result with isError set and
// the problems as its text (SEP-1303: the model sees them and can correct
// the call); the handler does not run. A tool whose schema cannot be
// compiled (see Check) fails every call with an error, which mcp-go answers
// as a JSON-RPC internal error: the fault is the server's, and its handler
// must not run on arguments nobody checked.
//
// The check is part of the handler, so it runs after every tool middleware
// of s: a caller the scope check refuses learns nothing about the tool's
// arguments. A tool added to s any other way (s.AddTool, s.SetTools, a
// session's own tools) is not checked.
func AddTools(s *server.MCPServer, tools ...server.ServerTool) {
	// Register first with handlers that run nothing, to read back the
	// schemas s publishes, then replace them: a call arriving in between
	// (s already serving) fails rather than run unchecked.
	s.AddTools(placeholders(tools)...)
	s.AddTools(checked(s, tools)...)
}

// placeholders are tools with their handlers replaced by notReady.
func placeholders(tools []server.ServerTool) []server.ServerTool {
	pending := make([]server.ServerTool, len(tools))
	for i, t := range tools {
		if t.Handler != nil {
			t.Handler = notReady
		}
		pending[i] = t
	}
	return pending
}

// checked are tools with their handlers wrapped in the check of the
// schemas s publishes for them.
func checked(s *server.MCPServer, tools []server.ServerTool) []server.ServerTool {
	out := make([]server.ServerTool, 0, len(tools))
	for _, t := range tools {
		if t.Handler == nil {
			continue
		}
		if reg := s.GetTool(t.Tool.Name); reg != nil {
			t.Tool = reg.Tool
		}
		out = append(out, Wrap(t))
	}
	return out
}

func notReady(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return nil, errors.New("the tool is being registered; call it again")
}

// Wrap returns t with its handler checking the arguments of each call
// against t's input schema as t holds it, as AddTools does; for a server
// that AddTools cannot reach, such as mcptest's. A server option that
// changes published schemas (server.WithStrictInputSchemaDefault) is not
// applied here.
func Wrap(t server.ServerTool) server.ServerTool {
	if t.Handler != nil {
		t.Handler = wrap(t.Tool, t.Handler)
	}
	return t
}

func wrap(tool mcp.Tool, next server.ToolHandlerFunc) server.ToolHandlerFunc {
	schema, err := Compile(tool)
	if err != nil {
		err = fmt.Errorf("the server cannot check the arguments of this tool: %w", err)
		return func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return nil, err
		}
	}
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if err := schema.Validate(req.Params.Arguments); err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return next(ctx, req)
	}
}

// Check compiles the input schema of every tool and returns the errors of
// those it cannot compile, joined, or nil. main calls it at start-up (and in
// --check) so that a schema AddTools cannot enforce stops the server before it
// serves.
func Check(tools ...server.ServerTool) error {
	var errs []error
	for _, t := range tools {
		if _, err := Compile(t.Tool); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
