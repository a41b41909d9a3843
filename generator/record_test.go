package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRecordEncodeDeterministic(t *testing.T) {
	r := Record{Answers: Defaults("w"), MCPForgeVersion: "v1", Files: map[string]string{}}
	for _, p := range []string{"z", "a/b", "A", ".x", "m/n/o"} {
		r.Files[p] = hashOf([]byte(p))
	}
	first := string(r.Encode())
	for range 20 {
		if string(r.Encode()) != first {
			t.Fatal("Encode is not deterministic")
		}
	}
	wantOrder := []string{`".x" =`, `"A" =`, `"a/b" =`, `"m/n/o" =`, `"z" =`}
	last := -1
	for _, w := range wantOrder {
		i := strings.Index(first, w)
		if i < last {
			t.Errorf("%s out of order:\n%s", w, first)
		}
		last = i
	}
}

// TestRecordWithoutLicense: a record written before the license answer
// existed reads as license none (no LICENSE file, as then), and re-encoding
// it, as add and the post steps do, writes that default explicitly.
func TestRecordWithoutLicense(t *testing.T) {
	p := writeTemp(t, RecordFile, "name = \"w\"\ntransports = [\"stdio\"]\ndeploy = []\n\n[record]\nmcpforge_version = \"v0.1.0\"\n\n[record.files]\n")
	rec, err := ReadRecord(p)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Answers.Given(KeyLicense) || rec.Answers.WithDefaults().License != LicenseNone {
		t.Errorf("old record: license %q given=%v, want the default none", rec.Answers.License, rec.Answers.Given(KeyLicense))
	}
	if enc := string(rec.Encode()); !strings.Contains(enc, "\nlicense = \"none\"\n") {
		t.Errorf("re-encoded old record lacks license = \"none\":\n%s", enc)
	}
	set, err := Render(rec.Answers)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := set.Get("LICENSE"); ok {
		t.Error("an old record without license renders a LICENSE")
	}
}

func TestReadRecordErrors(t *testing.T) {
	for _, c := range []struct{ content, want string }{
		{"name = \"w\"\n", "has no [record] table"},
		{"name = \"w\"\n[record]\nversion = \"x\"\n", "unknown key record.version"},
		{"name = \"w\"\n[record]\nfiles = 1\n", "record.files must be a table"},
		{"name = \"w\"\n[record.files]\n\"a\" = \"md5:00\"\n", `"sha256:<hex>"`},
		{"nmae = \"w\"\n[record]\n", `unknown key "nmae"`},
	} {
		p := writeTemp(t, RecordFile, c.content)
		if _, err := ReadRecord(p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ReadRecord(%q) = %v, want %q", c.content, err, c.want)
		}
	}
}

func TestRefreshRecord(t *testing.T) {
	dir := t.TempDir()
	r := Record{Answers: Defaults("w"), MCPForgeVersion: "v1", Files: map[string]string{
		"go.mod": hashOf([]byte("old")), "gone.txt": hashOf([]byte("x")), "other": hashOf([]byte("o")),
	}}
	os.WriteFile(filepath.Join(dir, RecordFile), r.Encode(), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("new"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.sum"), []byte("sum"), 0o644)
	if err := RefreshRecord(dir, "go.mod", "go.sum", "gone.txt"); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRecord(filepath.Join(dir, RecordFile))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"go.mod": hashOf([]byte("new")), "go.sum": hashOf([]byte("sum")), "other": hashOf([]byte("o"))}
	if len(got.Files) != len(want) {
		t.Errorf("files = %v, want %v", got.Files, want)
	}
	for p, h := range want {
		if got.Files[p] != h {
			t.Errorf("%s = %s, want %s", p, got.Files[p], h)
		}
	}
	if got.MCPForgeVersion != "v1" || got.Answers.Module != "example.com/w" {
		t.Errorf("refresh lost the rest of the record: %+v", got)
	}
	if err := RefreshRecord(dir, "../x"); err == nil {
		t.Error("RefreshRecord accepted an escaping path")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 { // the record, go.mod, go.sum
		t.Errorf("temporary files left behind: %v", entries)
	}
}
