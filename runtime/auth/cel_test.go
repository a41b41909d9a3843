package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mcpforge/mcpforge/runtime/config"
)

func TestCELBadExpressionStopsStart(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{"claims.sub ==", []string{`allow_conditions[1]`, `"claims.sub =="`, "1:14", "Syntax error"}},
		{"claim.sub == 'x'", []string{`allow_conditions[1]`, "1:1", "undeclared reference to 'claim'"}},
		{"'a' + 1 == 'a1'", []string{`allow_conditions[1]`, "1:5", "no matching overload"}},
		{"claims.sub", nil}, // dyn: allowed at start, must be a bool at run time
		{"'text'", []string{"allow_conditions[1]", "is of type string", "must be true or false"}},
		{"size(claims) + 1", []string{"allow_conditions[1]", "is of type int"}},
	} {
		cfg := localConfig("https://login.example.com/jwks")
		cfg.Local.AllowConditions = []string{"true", tc.expr}
		_, err := New(Options{Config: cfg, PublicURL: testPublicURL})
		if tc.want == nil {
			if err != nil {
				t.Errorf("%q: %v", tc.expr, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%q: accepted", tc.expr)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not contain %q", tc.expr, err, w)
			}
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error spans lines: %q", tc.expr, err)
		}
	}
}

func TestCELConditions(t *testing.T) {
	f := newLocalFixture(t, func(c *config.Auth) {
		c.Local.AllowConditions = []string{
			`'reader' in claims.roles`,
			`claims.tenant.id == 'acme' || request.headers['x-tenant'] == 'acme'`,
			`request.method == 'POST' && request.path.startsWith('/mcp')`,
			`!('authorization' in request.headers)`,
			`claims.exp > 0 && claims.exp > 1.5`,
		}
	})
	now := f.clock.Now()
	post := func(claims map[string]any, hdr map[string]string) int {
		resp, _ := do(t, f.url, func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+sign(t, rsaSigner(t), claims, nil))
			for k, v := range hdr {
				r.Header.Set(k, v)
			}
		})
		return resp.StatusCode
	}
	if got := post(validClaims(now), nil); got != 200 {
		t.Fatalf("all conditions hold: %d", got)
	}
	noRole := validClaims(now)
	noRole["roles"] = []string{"guest"}
	if got := post(noRole, nil); got != 403 {
		t.Fatalf("missing role: %d, want 403", got)
	}
	otherTenant := validClaims(now)
	otherTenant["tenant"] = map[string]any{"id": "globex"}
	if got := post(otherTenant, nil); got != 403 {
		t.Fatalf("other tenant: %d, want 403", got)
	}
	if got := post(otherTenant, map[string]string{"X-Tenant": "acme"}); got != 200 {
		t.Fatalf("tenant from a lower-cased header: %d, want 200", got)
	}
	// A claim the condition reads is missing: evaluation error, denied.
	noTenant := validClaims(now)
	delete(noTenant, "tenant")
	if got := post(noTenant, nil); got != 403 {
		t.Fatalf("missing claim: %d, want 403", got)
	}
	noRoles := validClaims(now)
	delete(noRoles, "roles")
	if got := post(noRoles, nil); got != 403 {
		t.Fatalf("missing roles claim: %d, want 403", got)
	}
}

// "$" inside an expression is taken literally: no environment expansion.
func TestCELNoEnvExpansion(t *testing.T) {
	t.Setenv("USER_ID", "alice")
	f := newLocalFixture(t, func(c *config.Auth) {
		c.Local.AllowConditions = []string{`claims.sub == '$USER_ID'`}
	})
	claims := validClaims(f.clock.Now())
	if resp, _ := do(t, f.url, bearer(sign(t, rsaSigner(t), claims, nil))); resp.StatusCode != 403 {
		t.Fatalf("sub alice matched '$USER_ID': status %d", resp.StatusCode)
	}
	claims["sub"] = "$USER_ID"
	if resp, _ := do(t, f.url, bearer(sign(t, rsaSigner(t), claims, nil))); resp.StatusCode != 200 {
		t.Fatalf("literal '$USER_ID' refused: status %d", resp.StatusCode)
	}
}

// A non-bool result of a dyn expression denies instead of failing open.
func TestCELNonBoolDenies(t *testing.T) {
	f := newLocalFixture(t, func(c *config.Auth) { c.Local.AllowConditions = []string{`claims.sub`} })
	resp, body := do(t, f.url, bearer(sign(t, rsaSigner(t), validClaims(f.clock.Now()), nil)))
	if resp.StatusCode != 403 || !strings.Contains(body, `"forbidden"`) {
		t.Fatalf("status %d body %s", resp.StatusCode, body)
	}
}

func TestCELCostLimit(t *testing.T) {
	p, err := newPolicy([]string{`claims.list.all(a, claims.list.all(b, claims.list.all(c, a + b + c >= 0)))`})
	if err != nil {
		t.Fatal(err)
	}
	list := make([]any, 200)
	for i := range list {
		list[i] = int64(i)
	}
	id := newIdentity(map[string]any{"list": list}, false, nil)
	ok, _ := p.allows(&id, httptest.NewRequest(http.MethodPost, "/mcp", nil))
	if ok {
		t.Fatal("an expression over its cost limit was allowed")
	}
}

// A condition whose worst case over the largest claims a token can carry
// is within the cost limit runs without counting its cost; any other
// counts it.
func TestCELCostTracking(t *testing.T) {
	for _, tc := range []struct {
		expr    string
		tracked bool
	}{
		{`'reader' in claims.roles`, false},
		{`claims.tenant.id == 'acme'`, false},
		{`request.method == 'POST'`, false},
		{`claims.email.endsWith('@example.com')`, false},
		{`claims.groups.exists(g, g in ['a', 'b'])`, true},
		{`claims.list.all(a, claims.list.all(b, a + b >= 0))`, true},
		{`request.headers.exists(k, k.startsWith('x-'))`, true},
	} {
		conds, err := compileConditions([]string{tc.expr})
		if err != nil {
			t.Fatal(err)
		}
		if conds[0].tracked != tc.tracked {
			t.Errorf("%s: tracked %v, want %v", tc.expr, conds[0].tracked, tc.tracked)
		}
	}
}

// A token's verdict is remembered for each method and path, and only for
// that token; conditions that read headers are evaluated every time.
func TestCELVerdictsPerTokenAndRequest(t *testing.T) {
	p, err := newPolicy([]string{`claims.sub == 'alice'`, `request.path == '/mcp'`})
	if err != nil {
		t.Fatal(err)
	}
	caller := func(sub string) *Identity {
		id := newIdentity(map[string]any{"sub": sub}, false, nil)
		id.celClaims, id.verdicts = celValue(id.claims), new(verdicts)
		return &id
	}
	alice, bob := caller("alice"), caller("bob")
	onMCP, elsewhere := httptest.NewRequest(http.MethodPost, "/mcp", nil), httptest.NewRequest(http.MethodPost, "/other", nil)
	for round := range 3 { // after the first, from the verdicts
		if ok, expr := p.allows(alice, onMCP); !ok {
			t.Fatalf("round %d: alice on /mcp denied by %q", round, expr)
		}
		if ok, expr := p.allows(alice, elsewhere); ok || expr != `request.path == '/mcp'` {
			t.Fatalf("round %d: alice elsewhere: %v %q", round, ok, expr)
		}
		if ok, expr := p.allows(bob, onMCP); ok || expr != `claims.sub == 'alice'` {
			t.Fatalf("round %d: bob on /mcp: %v %q", round, ok, expr)
		}
	}
	known := 0
	for i := range alice.verdicts {
		if alice.verdicts[i].Load() != 0 {
			known++
		}
	}
	if known != 2 || bob.verdicts[0].Load() != -1 {
		t.Fatalf("alice has %d verdicts, want 2; bob's first is %d, want -1", known, bob.verdicts[0].Load())
	}

	withHeaders, err := newPolicy([]string{`request.headers['x-a'] == '1'`})
	if err != nil {
		t.Fatal(err)
	}
	carol := caller("carol")
	yes, no := httptest.NewRequest(http.MethodPost, "/mcp", nil), httptest.NewRequest(http.MethodPost, "/mcp", nil)
	yes.Header.Set("X-A", "1")
	for round := range 2 {
		if ok, _ := withHeaders.allows(carol, yes); !ok {
			t.Fatalf("round %d: header condition denied", round)
		}
		if ok, _ := withHeaders.allows(carol, no); ok {
			t.Fatalf("round %d: header condition allowed without the header", round)
		}
	}
	for i := range carol.verdicts {
		if carol.verdicts[i].Load() != 0 {
			t.Fatal("a verdict that depends on headers was remembered")
		}
	}
}
