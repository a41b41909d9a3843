package auth

import (
	"fmt"
	"net/http"
	"regexp"
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
func requestVars(r *http.Request, withHeaders bool, hidden map[string]bool) map[string]any {
	vars := map[string]any{
		"method": r.Method,
		"path":   r.URL.Path,
	}
	if !withHeaders {
		return vars
	}
	headers := make(map[string]any, len(r.Header))
	for name, vals := range r.Header {
		lower := strings.ToLower(name)
		if hidden[lower] {
			continue
		}
		headers[lower] = strings.Join(vals, ", ")
	}
	vars["headers"] = headers
	return vars
}

// requestFieldUse matches a use of the request variable; only
// request.method and request.path are known not to need the headers.
var requestFieldUse = regexp.MustCompile(`\brequest\b(\s*\.\s*(method|path)\b)?`)

// conditionsNeedHeaders reports whether some condition may read the request
// headers, so that building them (a map per request) is skipped when none
// can. It errs towards yes: any use of request other than request.method
// or request.path, or any mention of "headers", counts.
func conditionsNeedHeaders(exprs []string) bool {
	for _, e := range exprs {
		if strings.Contains(e, "headers") {
			return true
		}
		for _, m := range requestFieldUse.FindAllStringSubmatch(e, -1) {
			if m[1] == "" {
				return true
			}
		}
	}
	return false
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
