package auth

import "testing"

func TestConditionsNeedHeaders(t *testing.T) {
	for _, tc := range []struct {
		exprs []string
		want  bool
	}{
		{nil, false},
		{[]string{`claims.sub != ""`}, false},
		{[]string{`request.method == "POST"`, `request . path.startsWith("/mcp")`}, false},
		{[]string{`request.headers["x-tenant"] == claims.tenant`}, true},
		{[]string{`request["head" + "ers"].size() > 0`}, true},
		{[]string{`request.exists(k, k == "method")`}, true},
		{[]string{`size(request) == 2`}, true},
		{[]string{`"x" in claims.headers`}, true},
	} {
		if got := conditionsNeedHeaders(tc.exprs); got != tc.want {
			t.Errorf("conditionsNeedHeaders(%q) = %v, want %v", tc.exprs, got, tc.want)
		}
	}
}
