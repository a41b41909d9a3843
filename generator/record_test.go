package generator

import (
	"os"
	"path/filepath"
	"slices"
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

// TestRecordWithoutAnswer: a record written before an answer existed lacks
// its key. Every answer of the table with an absent value then reads as
// that value, given, from the record (ParseRecord, as update reads it) and
// from the record as an answers file (new --answers .mcpforge.toml), and
// re-encodes as it; a plain answers file lacking the key still gets the
// default for new repositories.
func TestRecordWithoutAnswer(t *testing.T) {
	// The answers whose defaults would change an old repository.
	for k, want := range map[string]any{KeyObservability: false, KeyUpdateWorkflow: false, KeyLicense: LicenseNone} {
		if got := fieldDefs[fieldIndex(k)].absent; got != want {
			t.Errorf("%s: absent value %#v, want %#v", k, got, want)
		}
	}
	for i, d := range fieldDefs {
		if d.absent == nil {
			continue
		}
		t.Run(d.Key, func(t *testing.T) {
			full := Defaults("w")
			if !full.Applies(d.Key) {
				t.Fatalf("%s does not apply to the default answers; give the test answers it applies to", d.Key)
			}
			// The record as an mcpforge before the answer wrote it.
			data := withoutLine(t, Record{Answers: full, MCPForgeVersion: "v0.1.0", Files: map[string]string{}}.Encode(), d.Key+" = ")
			want, _ := tomlValue(d.absent)
			rec, err := ParseRecord(RecordFile, data)
			if err != nil {
				t.Fatal(err)
			}
			loaded, err := LoadAnswers(writeTemp(t, RecordFile, string(data)))
			if err != nil {
				t.Fatal(err)
			}
			for how, a := range map[string]Answers{"ParseRecord": rec.Answers, "LoadAnswers": loaded} {
				if got, _ := tomlValue(a.WithDefaults().final(i)); got != want || !a.Given(d.Key) {
					t.Errorf("%s of a record without %s: %s given=%v, want %s given", how, d.Key, got, a.Given(d.Key), want)
				}
			}
			if enc := string(rec.Encode()); !strings.Contains(enc, "\n"+d.Key+" = "+want+"\n") {
				t.Errorf("the re-encoded record lacks %s = %s:\n%s", d.Key, want, enc)
			}

			plain, _, _ := strings.Cut(string(data), "\n["+recordTable+"]")
			a, err := LoadAnswers(writeTemp(t, "answers.toml", plain))
			if err != nil {
				t.Fatal(err)
			}
			full = a.WithDefaults()
			if got, def := full.final(i), d.def(full); a.Given(d.Key) || got != def {
				t.Errorf("an answers file without %s: %v given=%v, want the default %v", d.Key, got, a.Given(d.Key), def)
			}
		})
	}
}

// TestOldRecordRendersAsThen: a record lacking the keys of answers added
// since renders without what those answers would add by default: no
// telemetry (neither its package nor its modules), no update workflow, no
// LICENSE.
func TestOldRecordRendersAsThen(t *testing.T) {
	data := Record{Answers: Defaults("w"), MCPForgeVersion: "v0.1.0", Files: map[string]string{}}.Encode()
	for _, k := range []string{KeyObservability, KeyUpdateWorkflow, KeyLicense} {
		data = withoutLine(t, data, k+" = ")
	}
	rec, err := ParseRecord(RecordFile, data)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Render(rec.Answers)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range set.Paths() {
		if strings.HasPrefix(p, "internal/telemetry/") || p == "LICENSE" || p == updateWorkflowPath {
			t.Errorf("an old record renders %s", p)
		}
	}
	for _, l := range strings.Split(content(t, set, "go.mod"), "\n") {
		if slices.ContainsFunc(telemetryModules, func(m string) bool { return strings.Contains(l, m+" ") }) && !strings.HasSuffix(l, "// indirect") {
			t.Errorf("an old record's go.mod requires a telemetry module directly: %s", strings.TrimSpace(l))
		}
	}
}

// withoutLine returns data without its lines starting with prefix, and
// fails when there is none.
func withoutLine(t *testing.T, data []byte, prefix string) []byte {
	t.Helper()
	lines := strings.SplitAfter(string(data), "\n")
	kept := slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return strings.HasPrefix(l, prefix) })
	if len(kept) == len(lines) {
		t.Fatalf("no line %q… in\n%s", prefix, data)
	}
	return []byte(strings.Join(kept, ""))
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
