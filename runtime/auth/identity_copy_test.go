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

func TestSubjectFromContext(t *testing.T) {
	if got := SubjectFromContext(context.Background()); got != "" {
		t.Errorf("no identity: subject %q, want empty", got)
	}
	ctx := WithIdentity(context.Background(), newIdentity(map[string]any{"sub": "alice"}, false, nil))
	if got := SubjectFromContext(ctx); got != "alice" {
		t.Errorf("subject %q, want alice", got)
	}
}
