package config

import (
	"slices"
	"testing"
)

func TestAnnouncedScopes(t *testing.T) {
	a := DefaultAuth()
	a.ToolScopes = []string{"b=tool:write tool:user", "a=tool:user", "c=admin"}
	if got, want := a.AnnouncedScopes(), []string{"admin", "tool:user", "tool:write"}; !slices.Equal(got, want) {
		t.Errorf("AnnouncedScopes() = %v, want the sorted union %v", got, want)
	}
	a.DefaultScopes = []string{"openid", "tool:user"}
	if got := a.AnnouncedScopes(); !slices.Equal(got, a.DefaultScopes) {
		t.Errorf("AnnouncedScopes() = %v, want default_scopes %v", got, a.DefaultScopes)
	}
}
