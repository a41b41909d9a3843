package toolargs

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Validator checks the arguments of every tools/call of one MCP server
// against the input schema of the tool called. Each schema is compiled once:
// those of the tools registered when New runs right away, any other the
// first time its tool is called (a tool added while serving, with
// s.AddTool or s.SetTools, or a session's own tool). A tool registered again
// under the same name with another schema is compiled again on its next
// call.
type Validator struct {
	srv *server.MCPServer
	// compiled maps a tool name to its *compiled schema.
	compiled sync.Map
}

// compiled is the schema of one tool as it was registered.
type compiled struct {
	// tool is the definition the schema was compiled from. It keeps the
	// maps of that definition alive, so that comparing their identity with
	// the definition of a call (sameSchema) cannot be fooled by a new map
	// reusing the address of a freed one.
	tool   mcp.Tool
	schema *Schema
	err    error
}

// New returns the Validator of s, with the schemas of the tools registered
// so far compiled. Install its Middleware with s.Use after every other tool
// middleware, so that it runs last, just before the tool: a caller the scope
// check refuses then learns nothing about the tool's arguments.
//
// Schemas that cannot be compiled are not reported here (see Check); a call
// of such a tool fails.
func New(s *server.MCPServer) *Validator {
	v := &Validator{srv: s}
	for name, t := range s.ListTools() {
		v.compiled.Store(name, newCompiled(t.Tool))
	}
	return v
}

// Check compiles the input schema of every tool and returns the errors of
// those it cannot compile, joined, or nil. main calls it at start-up (and in
// --check) so that a schema the Validator cannot enforce stops the server
// before it serves.
func Check(tools ...server.ServerTool) error {
	var errs []error
	for _, t := range tools {
		if _, err := Compile(t.Tool); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func newCompiled(tool mcp.Tool) *compiled {
	s, err := Compile(tool)
	return &compiled{tool: tool, schema: s, err: err}
}

// Middleware checks the arguments of each call before next runs. Arguments
// that break the schema get a tool result with isError set and the problems
// as its text (SEP-1303: the model sees them and can correct the call);
// next does not run. A tool whose schema cannot be compiled fails with an
// error (a JSON-RPC internal error): the fault is the server's, and its
// handler must not run on arguments nobody checked.
func (v *Validator) Middleware(next server.ToolHandlerFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		c := v.lookup(ctx, req.Params.Name)
		if c == nil {
			// Not a tool of s (a task tool, or one removed meanwhile):
			// mcp-go answers for it as it would without the Validator.
			return next(ctx, req)
		}
		if c.err != nil {
			return nil, fmt.Errorf("the server cannot check the arguments of this tool: %w", c.err)
		}
		if err := c.schema.Validate(req.Params.Arguments); err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		return next(ctx, req)
	}
}

// lookup returns the compiled schema of the tool a call named, found as
// mcp-go finds it: the session's own tools first, then the server's.
func (v *Validator) lookup(ctx context.Context, name string) *compiled {
	var tool *mcp.Tool
	if sess, ok := server.ClientSessionFromContext(ctx).(server.SessionWithTools); ok {
		if t, ok := sess.GetSessionTools()[name]; ok {
			tool = &t.Tool
		}
	}
	if tool == nil {
		t := v.srv.GetTool(name)
		if t == nil {
			return nil
		}
		tool = &t.Tool
	}
	if e, ok := v.compiled.Load(name); ok {
		if c := e.(*compiled); sameSchema(&c.tool, tool) {
			return c
		}
	}
	c := newCompiled(*tool)
	v.compiled.Store(name, c)
	return c
}

// sameSchema reports whether b has the input schema a was compiled from.
// Schemas are compared by identity (the same maps and slices), which costs
// nothing per call: a tool registered again gets new ones. A registered
// tool's schema maps are not to be changed in place; mcp-go reads them
// unlocked when it lists the tools.
func sameSchema(a, b *mcp.Tool) bool {
	if len(a.RawInputSchema) > 0 || len(b.RawInputSchema) > 0 {
		return slices.Equal(a.RawInputSchema, b.RawInputSchema)
	}
	x, y := &a.InputSchema, &b.InputSchema
	return x.Type == y.Type &&
		sameRef(x.Properties, y.Properties) &&
		sameRef(x.Defs, y.Defs) &&
		slices.Equal(x.Required, y.Required) &&
		sameRef(x.AdditionalProperties, y.AdditionalProperties)
}

// sameRef reports whether a and b are the same value: the same map, slice
// or pointer, or equal comparable values (false, true, nil).
func sameRef(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if !va.IsValid() || !vb.IsValid() {
		return va.IsValid() == vb.IsValid()
	}
	if va.Type() != vb.Type() {
		return false
	}
	switch va.Kind() {
	case reflect.Map, reflect.Slice, reflect.Pointer:
		return va.Pointer() == vb.Pointer() && (va.Kind() != reflect.Slice || va.Len() == vb.Len())
	}
	return va.Comparable() && va.Equal(vb)
}
