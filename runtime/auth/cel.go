package auth

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/mcpforge/mcpforge/runtime/config"
)

// celCostLimit bounds the work of one condition evaluation, so an
// expression looping over a huge claim cannot stall a request.
const celCostLimit = 100_000

// policy is the compiled allow conditions (middleware.jwt.local.allow_conditions)
// and what evaluating them needs.
type policy struct {
	conds   []condition
	headers bool            // some condition may read request.headers
	hidden  map[string]bool // lower-case headers conditions never see
	vars    sync.Pool       // of *vars, so that an evaluation allocates none
	// requests are request variables without headers, which depend on
	// method and path only, converted once: an MCP endpoint sees a
	// handful. An immutable snapshot, replaced whole to add one.
	requests atomic.Pointer[[]requestVar]
}

// requestVar is the request variable of one method and path.
type requestVar struct {
	method, path string
	val          ref.Val
}

// maxRequestVars bounds policy.requests.
const maxRequestVars = 16

// request returns the request variable of r for the conditions.
func (p *policy) request(r *http.Request) ref.Val {
	val, _ := p.requestVar(r)
	return val
}

// requestVar returns the request variable of r and, when it is one of
// policy.requests, its index there (which never changes), else -1.
func (p *policy) requestVar(r *http.Request) (ref.Val, int) {
	if p.headers {
		return celValue(requestVars(r, true, p.hidden)), -1
	}
	old := p.requests.Load()
	if old != nil {
		for i, e := range *old {
			if e.method == r.Method && e.path == r.URL.Path {
				return e.val, i
			}
		}
	}
	val := celValue(requestVars(r, false, nil))
	if old == nil || len(*old) < maxRequestVars {
		var next []requestVar
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, requestVar{r.Method, r.URL.Path, val})
		// A lost race only costs a conversion, and the index.
		if p.requests.CompareAndSwap(old, &next) {
			return val, len(next) - 1
		}
	}
	return val, -1
}

// verdicts are the allow conditions' verdicts for one token, by the index
// of the request variable (policy.requests) they were reached for: 0 not
// yet known, 1 allowed, -1-i denied by condition i. Without headers in the
// conditions, claims, method and path are all a verdict depends on (CEL
// has no clock or other input), and a token's claims never change.
type verdicts [maxRequestVars]atomic.Int32

// condition is one compiled, type-checked CEL allow condition.
type condition struct {
	expr string
	prg  cel.Program
	// tracked: the program counts its cost as it runs and stops at
	// celCostLimit. Counting costs more than most evaluations; it is left
	// out when the worst case, computed at start-up, is within the limit.
	tracked bool
}

// Rules is the CEL middleware: the allow conditions must all hold for the
// caller [Authenticator.Authenticate] let in, or the request gets 403.
func (a *Authenticator) Rules(next http.Handler) http.Handler {
	p := a.policy
	if p == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := identityFrom(r.Context())
		if r.Method == http.MethodOptions || id == nil {
			next.ServeHTTP(w, r)
			return
		}
		if ok, expr := p.allows(id, r); !ok {
			a.logger.Info("request denied by allow condition", "subject", id.Subject, "condition", expr)
			if a.observer != nil {
				a.observer.AuthFailed(ReasonForbidden)
			}
			writeJSON(w, http.StatusForbidden, "forbidden", "access denied by policy")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// newPolicy compiles the allow conditions; nil when there are none.
func newPolicy(exprs []string) (*policy, error) {
	conds, err := compileConditions(exprs)
	if err != nil || len(conds) == 0 {
		return nil, err
	}
	p := &policy{
		conds:   conds,
		headers: conditionsNeedHeaders(exprs),
		// Policies decide on claims, not on tokens or secrets.
		hidden: map[string]bool{"authorization": true, "proxy-authorization": true, "cookie": true},
	}
	p.vars.New = func() any { return &vars{p: p} }
	return p, nil
}

// allows evaluates every condition for the caller id of r; all must be
// exactly true. An evaluation error (a missing claim, the cost limit)
// counts as false: a policy that cannot be decided denies. It returns the
// first condition that does not hold.
func (p *policy) allows(id *Identity, r *http.Request) (bool, string) {
	v := p.vars.Get().(*vars)
	defer p.vars.Put(v)
	v.claims, v.r = id.celClaims, r
	if v.claims == nil {
		v.claims = celValue(id.claims)
	}
	defer v.reset()
	var memo *atomic.Int32
	if id.verdicts != nil && !p.headers {
		var i int
		if v.request, i = p.requestVar(r); i >= 0 {
			memo = &id.verdicts[i]
			switch known := memo.Load(); {
			case known > 0:
				return true, ""
			case known < 0:
				return false, p.conds[-known-1].expr
			}
		}
	}
	for i, c := range p.conds {
		out, _, err := c.prg.Eval(v)
		if err != nil || out != types.True {
			if memo != nil {
				memo.Store(int32(-1 - i))
			}
			return false, c.expr
		}
	}
	if memo != nil {
		memo.Store(1)
	}
	return true, ""
}

// celValue converts decoded JSON claims into CEL values, deeply: an
// evaluation reading converted claims converts (and allocates) nothing,
// where reading Go maps and slices converts each value it touches.
func celValue(v any) ref.Val {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[ref.Val]ref.Val, len(x))
		for k, e := range x {
			m[types.String(k)] = celValue(e)
		}
		return types.NewRefValMap(types.DefaultTypeAdapter, m)
	case []any:
		l := make([]ref.Val, len(x))
		for i, e := range x {
			l[i] = celValue(e)
		}
		return types.NewRefValList(types.DefaultTypeAdapter, l)
	}
	return types.DefaultTypeAdapter.NativeToValue(v)
}

// vars is what one evaluation sees: the claims of the caller, converted for
// CEL once per token (celValue), and the request, built only if a
// condition reads it.
type vars struct {
	p       *policy
	claims  ref.Val
	r       *http.Request
	request ref.Val
}

// ResolveName implements interpreter.Activation.
func (v *vars) ResolveName(name string) (any, bool) {
	switch name {
	case "claims":
		return v.claims, true
	case "request":
		if v.request == nil {
			v.request = v.p.request(v.r)
		}
		return v.request, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (v *vars) Parent() interpreter.Activation { return nil }

// reset drops what v holds of one request before it is pooled.
func (v *vars) reset() { v.claims, v.r, v.request = nil, nil, nil }

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
		// The worst case is computed with the same cost model the runtime
		// limit counts in, every claim as large as a token can make it and
		// everything of unknown size (the request) unbounded: within the
		// limit, the limit cannot be reached.
		est, err := env.EstimateCost(ast, claimSizes{})
		c := condition{expr: expr, tracked: err != nil || est.Max > celCostLimit}
		var opts []cel.ProgramOption
		if c.tracked {
			opts = append(opts, cel.CostLimit(celCostLimit))
		}
		if c.prg, err = env.Program(ast, opts...); err != nil {
			return nil, fmt.Errorf("%s: CEL expression %q: %w", key, expr, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// claimSizes bounds the size of the claims for the cost estimate: a claim
// cannot hold more characters, elements or members than its token has
// bytes, and conditions run only for tokens of at most MaxTokenBytes.
type claimSizes struct{}

func (claimSizes) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	if p := n.Path(); len(p) > 0 && p[0] == "claims" {
		return &checker.SizeEstimate{Min: 0, Max: MaxTokenBytes}
	}
	return nil
}

func (claimSizes) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
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
	m := map[string]any{
		"method": r.Method,
		"path":   r.URL.Path,
	}
	if !withHeaders {
		return m
	}
	headers := make(map[string]any, len(r.Header))
	for name, vals := range r.Header {
		lower := strings.ToLower(name)
		if hidden[lower] {
			continue
		}
		headers[lower] = strings.Join(vals, ", ")
	}
	m["headers"] = headers
	return m
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
