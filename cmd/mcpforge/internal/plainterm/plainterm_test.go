package plainterm

import (
	"os"
	"testing"
)

func TestAccessible(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  string
		want bool
	}{
		{nil, "", false},
		{[]string{"new", "x", "--accessible"}, "", true},
		{[]string{"new", "--accessible=true"}, "", true},
		{[]string{"new", "--accessible=1"}, "", true},
		{[]string{"new", "--accessible=false"}, "", false},
		{[]string{"new", "--", "--accessible"}, "", false},
		{[]string{"new", "--accessible-ish"}, "", false},
		{nil, "1", true},
		{nil, "yes", true},
		{nil, " 0 ", false},
		{nil, "FALSE", false},
		{[]string{"new", "--accessible=false"}, "1", true},
	} {
		if got := accessible(c.args, c.env); got != c.want {
			t.Errorf("accessible(%q, %q) = %v, want %v", c.args, c.env, got, c.want)
		}
	}
}

func TestRestore(t *testing.T) {
	t.Setenv("TERM", "dumb")
	term, hadTerm, set = "xterm-256color", true, true
	Restore()
	if got := os.Getenv("TERM"); got != "xterm-256color" || set {
		t.Errorf("after Restore TERM = %q, set = %v", got, set)
	}
	os.Setenv("TERM", "dumb")
	Restore() // a second call changes nothing
	if got := os.Getenv("TERM"); got != "dumb" {
		t.Errorf("a second Restore set TERM to %q", got)
	}
	term, hadTerm, set = "", false, true
	Restore()
	if _, ok := os.LookupEnv("TERM"); ok {
		t.Error("Restore kept a TERM that was not set before")
	}
}
