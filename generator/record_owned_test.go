package generator

import (
	"slices"
	"strings"
	"testing"
)

// TestRecordOwned: files `add` writes are marked as the owner's in the
// record; the list round-trips through Encode and ParseRecord, and a record
// without it (every record `new` writes, and those written before the list
// existed) encodes as before.
func TestRecordOwned(t *testing.T) {
	repo := renderedRepo(t, Defaults("w"))
	if len(repo.Record.Owned) != 0 {
		t.Fatalf("a new repository owns %v, want nothing", repo.Record.Owned)
	}
	if enc := string(repo.Record.Encode()); strings.Contains(enc, "owned") {
		t.Errorf("a record without owner files mentions owned:\n%s", enc)
	}
	res, err := AddTool(repo, ToolSpec{Name: "forecast"})
	if err != nil {
		t.Fatal(err)
	}
	repo = apply(repo, res)
	res, err = AddPrompt(repo, PromptSpec{Name: "summarize"})
	if err != nil {
		t.Fatal(err)
	}
	repo = apply(repo, res)
	want := []string{"internal/prompts/summarize.go", "internal/prompts/summarize_test.go", "internal/tools/forecast.go", "internal/tools/forecast_test.go"}
	if !slices.Equal(repo.Record.Owned, want) {
		t.Errorf("owned = %v, want %v", repo.Record.Owned, want)
	}
	for _, p := range want {
		if !repo.Record.IsOwned(p) || repo.Record.Files[p] == "" {
			t.Errorf("%s: owned %v, hash %q; want owned and hashed", p, repo.Record.IsOwned(p), repo.Record.Files[p])
		}
	}
	if repo.Record.IsOwned("internal/tools/hello_world.go") {
		t.Error("a generated tool counts as owned")
	}
	again, err := ParseRecord(RecordFile, repo.Record.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.Owned, want) {
		t.Errorf("owned after a round trip = %v, want %v", again.Owned, want)
	}
}

func TestRecordOwnedErrors(t *testing.T) {
	for _, c := range []struct{ owned, want string }{
		{`"x"`, "record.owned must be an array"},
		{`[1]`, "record.owned must hold slash-separated relative paths"},
		{`["../x"]`, "record.owned must hold slash-separated relative paths"},
	} {
		_, err := ParseRecord(RecordFile, []byte("name = \"w\"\n[record]\nowned = "+c.owned+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("owned = %s: error %v, want %q", c.owned, err, c.want)
		}
	}
}
