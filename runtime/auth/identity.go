package auth

import (
	"context"
	"slices"
	"strings"

	"github.com/google/cel-go/common/types/ref"
)

// Identity is the authenticated caller of a request, as tool code sees it.
// It never holds the raw token.
type Identity struct {
	// Subject is the sub claim of the token, or the configured stdio
	// subject; empty for anonymous callers.
	Subject string
	// Scopes are the scopes granted to the caller, from the scope claim
	// (space-separated) or the scp claim (list or space-separated).
	Scopes []string
	// Claims are the token claims exposed to tools by configuration: sub,
	// scope, scp and roles always, others only when listed (or "all").
	Claims map[string]any
	// Anonymous is true when no token authenticated the caller: the stdio
	// transport without a configured subject, or the "none" strategy.
	Anonymous bool
	// Unrestricted is true when per-tool scope checks do not apply to the
	// caller: the "none" strategy, and stdio unless its scopes are enforced.
	Unrestricted bool

	// owner is who the caller is for session binding: issuer and subject,
	// "" when anonymous.
	owner string
	// claims are all the claims of the token, for the allow conditions;
	// shared, never handed to tools (FromContext clears it).
	claims map[string]any
	// celClaims are claims as the allow conditions read them, converted
	// once per token; nil converts them on each evaluation.
	celClaims ref.Val
	// verdicts remembers the allow conditions' verdicts for the token, one
	// per method and path (see policy.allows); nil remembers nothing.
	verdicts *verdicts
}

// HasScope reports whether the caller holds scope.
func (id Identity) HasScope(scope string) bool {
	return slices.Contains(id.Scopes, scope)
}

// missingScopes returns the scopes of required the caller lacks; none when
// the caller is unrestricted.
func (id *Identity) missingScopes(required []string) []string {
	if !id.lacksAny(required) {
		return nil
	}
	var missing []string
	for _, s := range required {
		if !id.HasScope(s) {
			missing = append(missing, s)
		}
	}
	return missing
}

// lacksAny reports whether the caller lacks some scope of required, like
// missingScopes but without building the list: it runs on every request.
func (id *Identity) lacksAny(required []string) bool {
	if id.Unrestricted {
		return false
	}
	for _, s := range required {
		if !id.HasScope(s) {
			return true
		}
	}
	return false
}

type identityKey struct{}

// WithIdentity returns a copy of ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return withIdentity(ctx, &id)
}

// withIdentity puts an identity into ctx without copying it: the
// identity of a verified token is shared by every request presenting the
// token, so storing its pointer costs no allocation. Nothing changes an
// identity once it is in a context.
func withIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the identity of the caller of the request ctx belongs
// to. It is present on every transport once the server is wired as the
// package documentation describes.
//
// The identity is the caller's own copy: changing it changes nothing for
// other requests (identities are shared between the requests of a token).
func FromContext(ctx context.Context) (Identity, bool) {
	p := identityFrom(ctx)
	if p == nil {
		return Identity{}, false
	}
	id := *p
	id.claims, id.celClaims, id.verdicts = nil, nil, nil
	id.Scopes = slices.Clone(id.Scopes)
	if id.Claims != nil {
		id.Claims = copyClaim(id.Claims).(map[string]any)
	}
	return id, true
}

// identityFrom returns the identity of ctx without copying it, nil when
// there is none, for this package, which never changes an identity.
func identityFrom(ctx context.Context) *Identity {
	id, _ := ctx.Value(identityKey{}).(*Identity)
	return id
}

// alwaysExposed are the claims tools always see: who the caller is and what
// it may do.
var alwaysExposed = []string{"sub", "scope", "scp", "roles"}

// newIdentity builds the identity of a caller from the full claims of its
// token. exposeAll and exposed select the claims tools see.
func newIdentity(claims map[string]any, exposeAll bool, exposed map[string]bool) Identity {
	id := Identity{Claims: make(map[string]any), claims: claims}
	if sub, ok := claims["sub"].(string); ok {
		id.Subject = sub
		iss, _ := claims["iss"].(string)
		id.owner = iss + "\x00" + sub
	}
	id.Scopes = scopesOf(claims)
	for k, v := range claims {
		if exposeAll || exposed[k] || slices.Contains(alwaysExposed, k) {
			// Shared with the token's claims: FromContext hands tools a copy.
			id.Claims[k] = v
		}
	}
	return id
}

// scopesOf reads the granted scopes from the scope claim (RFC 8693, RFC
// 9068: a space-separated string) and the scp claim (a list in Azure AD and
// Okta, sometimes a string), without duplicates.
func scopesOf(claims map[string]any) []string {
	var out []string
	add := func(s string) {
		for _, f := range strings.Fields(s) {
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	for _, name := range []string{"scope", "scp"} {
		switch v := claims[name].(type) {
		case string:
			add(v)
		case []any:
			for _, e := range v {
				if s, ok := e.(string); ok {
					add(s)
				}
			}
		}
	}
	return out
}

// copyClaim deep-copies a JSON value (objects and arrays; other values are
// immutable).
func copyClaim(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = copyClaim(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = copyClaim(e)
		}
		return s
	}
	return v
}
