package auth

import (
	"context"
	"testing"
)

func TestIdentityFromContextIsACopy(t *testing.T) {
	claims := map[string]any{"sub": "alice", "scope": "tool:user", "roles": []any{"reader"}, "tenant": map[string]any{"id": "acme"}}
	ctx := WithIdentity(context.Background(), newIdentity(claims, true, nil))
	id, ok := FromContext(ctx)
	if !ok {
		t.Fatal("no identity")
	}
	id.Claims["roles"].([]any)[0] = "admin"
	id.Claims["tenant"].(map[string]any)["id"] = "evil"
	id.Claims["sub"] = "mallory"
	id.Scopes[0] = "tool:admin"
	if claims["roles"].([]any)[0] != "reader" || claims["tenant"].(map[string]any)["id"] != "acme" || claims["sub"] != "alice" {
		t.Errorf("changing a tool's identity changed the token's claims: %v", claims)
	}
	again, _ := FromContext(ctx)
	if again.Claims["sub"] != "alice" || again.Scopes[0] != "tool:user" {
		t.Errorf("changing one copy changed the next: %+v", again)
	}
}

func TestSubjectAndSessionOwner(t *testing.T) {
	a := &Authenticator{}
	if got := a.Subject(context.Background()); got != "" {
		t.Errorf("no identity: subject %q, want empty", got)
	}
	ctx := WithIdentity(context.Background(), newIdentity(map[string]any{"sub": "alice", "iss": "https://id.example"}, false, nil))
	if got := a.Subject(ctx); got != "alice" {
		t.Errorf("subject %q, want alice", got)
	}
	other := WithIdentity(context.Background(), newIdentity(map[string]any{"sub": "alice", "iss": "https://other.example"}, false, nil))
	if a.SessionOwner(ctx) == "" || a.SessionOwner(ctx) == a.SessionOwner(other) {
		t.Errorf("the same subject of two issuers must be two session owners: %q, %q", a.SessionOwner(ctx), a.SessionOwner(other))
	}
}
