package auth

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// celCostLimit bounds the work of one condition evaluation, so an
// expression looping over a huge claim cannot stall a request.
const celCostLimit = 100_000

// condition is one compiled, type-checked CEL allow condition.
type condition struct {
	expr string
	prg  cel.Program
}

// compileConditions compiles and type-checks every expression once, at
// start. A bad expression is an error naming its index, its text and the
// line:column of the problem; expressions are taken literally (no "$VAR"
// expansion).
func compileConditions(exprs []string) ([]condition, error) {
	if len(exprs) == 0 {
		return nil, nil
	}
	env, err := cel.NewEnv(
		cel.Variable("claims", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("request", cel.MapType(cel.StringType, cel.DynType)),
		ext.Strings(),
		cel.CrossTypeNumericComparisons(true),
		cel.ParserExpressionSizeLimit(4096),
	)
	if err != nil {
		return nil, fmt.Errorf("cel environment: %w", err)
	}
	out := make([]condition, 0, len(exprs))
	for i, expr := range exprs {
		key := fmt.Sprintf("%s.local.allow_conditions[%d]", config.AuthTable, i)
		ast, iss := env.Compile(expr)
		if iss != nil && iss.Err() != nil {
			return nil, fmt.Errorf("%s: invalid CEL expression %q: %s", key, expr, oneLine(iss.Err().Error()))
		}
		if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
			return nil, fmt.Errorf("%s: CEL expression %q is of type %s; it must be true or false, such as \"'admin' in claims.roles\"", key, expr, t)
		}
		prg, err := env.Program(ast, cel.CostLimit(celCostLimit))
		if err != nil {
			return nil, fmt.Errorf("%s: CEL expression %q: %w", key, expr, err)
		}
		out = append(out, condition{expr: expr, prg: prg})
	}
	return out, nil
}

// oneLine folds cel-go's multi-line issue report (message, source line,
// caret) into one line, keeping the position as "at line:column".
func oneLine(s string) string {
	lines := strings.Split(s, "\n")
	var keep []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "|") {
			continue
		}
		l = strings.TrimPrefix(l, "ERROR: ")
		keep = append(keep, strings.Replace(l, "<input>:", "at ", 1))
	}
	return strings.Join(keep, "; ")
}

// requestVars is what conditions see of the request: method, path and
// headers with lower-case names (several values joined by ", "). The
// credentials themselves are left out: policies decide on claims, not on
// tokens or secrets.
func requestVars(r *http.Request, hidden map[string]bool) map[string]any {
	headers := make(map[string]any, len(r.Header))
	for name, vals := range r.Header {
		lower := strings.ToLower(name)
		if hidden[lower] {
			continue
		}
		headers[lower] = strings.Join(vals, ", ")
	}
	return map[string]any{
		"method":  r.Method,
		"path":    r.URL.Path,
		"headers": headers,
	}
}

// allowed evaluates every condition; all must be exactly true. An
// evaluation error (a missing claim, a cost limit) counts as false: a
// policy that cannot be decided denies.
func allowed(conds []condition, claims map[string]any, request map[string]any) (bool, string) {
	if len(conds) == 0 {
		return true, ""
	}
	vars := map[string]any{"claims": claims, "request": request}
	for _, c := range conds {
		out, _, err := c.prg.Eval(vars)
		if err != nil {
			return false, c.expr
		}
		if b, ok := out.Value().(bool); !ok || !b {
			return false, c.expr
		}
	}
	return true, ""
}
