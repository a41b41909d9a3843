package generator

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// updateCase is one file of the plan table: its content in the base render
// ("" absent), in the owner's tree, in the new render, whether the record
// lists it, and what the plan must do.
type updateCase struct {
	path                string
	base, ours, theirs  string
	recorded, owned     bool
	recordedAs          string // recorded content when not the base's
	want                UpdateAction
	wantData            string // "" checks nothing
	attention, inRecord bool
}

const (
	goModBase   = "module example.com/w\n\ngo 1.26\n\nrequire (\n\tgithub.com/a/a v1.0.0\n\tgithub.com/b/b v1.0.0\n)\n"
	goModOurs   = "module example.com/w\n\ngo 1.26\n\nrequire (\n\tgithub.com/a/a v1.0.0\n\tgithub.com/b/b v1.5.0\n\tgithub.com/owner/dep v0.3.0\n)\n"
	goModTheirs = "module example.com/w\n\ngo 1.26\n\nrequire (\n\tgithub.com/a/a v1.2.0\n\tgithub.com/b/b v1.1.0\n\tgithub.com/c/c v0.1.0\n)\n"
)

func TestPlanUpdate(t *testing.T) {
	bin := "\x89PNG\x00\x01"
	cases := []updateCase{
		{path: "untouched.go", base: "a\n", ours: "a\n", theirs: "b\n", recorded: true, want: ActionUpdate, wantData: "b\n", inRecord: true},
		{path: "untouched_same.go", base: "a\n", ours: "a\n", theirs: "a\n", recorded: true, want: "", inRecord: true},
		{path: "removed_upstream.go", base: "a\n", ours: "a\n", recorded: true, want: ActionRemove},
		{path: "edited_only_by_owner.go", base: "a\n", ours: "mine\n", theirs: "a\n", recorded: true, want: ActionKeep, inRecord: true},
		{path: "merged.go", base: "1\n2\n3\n4\n5\n", ours: "one\n2\n3\n4\n5\n", theirs: "1\n2\n3\n4\nfive\n", recorded: true, want: ActionMerge, wantData: "one\n2\n3\n4\nfive\n", inRecord: true},
		{path: "conflict.go", base: "1\n2\n3\n", ours: "1\nmine\n3\n", theirs: "1\ntheirs\n3\n", recorded: true, want: ActionConflict,
			wantData: "1\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> mcpforge v0.2.0\n3\n", inRecord: true},
		{path: "same_edit.go", base: "a\n", ours: "b\n", theirs: "b\n", recorded: true, want: "", inRecord: true},
		{path: "new_upstream.go", theirs: "new\n", want: ActionCreate, wantData: "new\n", inRecord: true},
		{path: "new_upstream_owner_has.go", ours: "mine\n", theirs: "new\n", want: ActionConflict,
			wantData: "<<<<<<< yours\nmine\n=======\nnew\n>>>>>>> mcpforge v0.2.0\n", inRecord: true},
		{path: "new_upstream_identical.go", ours: "same\n", theirs: "same\n", want: "", inRecord: true},
		{path: "deleted_upstream_edited.go", base: "a\n", ours: "mine\n", recorded: true, want: ActionKeep, attention: true},
		{path: "deleted_by_owner_changed.go", base: "a\n", theirs: "b\n", recorded: true, want: ActionKeep, attention: true, inRecord: true},
		{path: "deleted_by_owner_unchanged.go", base: "a\n", theirs: "a\n", recorded: true, want: "", inRecord: true},
		{path: "deleted_on_both_sides.go", base: "a\n", recorded: true, want: ""},
		{path: "binary_untouched.png", base: bin, ours: bin, theirs: bin + "2", recorded: true, want: ActionUpdate, wantData: bin + "2", inRecord: true},
		{path: "binary_edited.png", base: bin, ours: bin + "mine", theirs: bin + "2", recorded: true, want: ActionKeep, attention: true, inRecord: true},
		{path: "binary_crlf_bytes.png", base: bin + "\n", ours: bin + "\r\n", theirs: bin + "2\n", recorded: true, want: ActionKeep, attention: true, inRecord: true},
		{path: "owner_file.go", ours: "mine\n", want: ""},
		{path: "internal/tools/forecast.go", ours: "added\n", recorded: true, owned: true, want: "", inRecord: true},
		{path: "internal/tools/old_add.go", ours: "added before owned existed\n", recorded: true, recordedAs: "added before owned existed\n", want: "", inRecord: true},
		{path: "unreproduced.go", base: "gofmt of another Go\n", ours: "as recorded\n", theirs: "new\n", recorded: true, recordedAs: "as recorded\n", want: ActionUpdate, wantData: "new\n", inRecord: true},
		{path: "crlf_checkout.go", base: "a\nb\n", ours: "a\r\nb\r\n", theirs: "a\nc\n", recorded: true, want: ActionUpdate, wantData: "a\r\nc\r\n", inRecord: true},
		{path: "go.mod", base: goModBase, ours: goModOurs, theirs: goModTheirs, recorded: true, recordedAs: goModOurs, want: ActionMerge,
			wantData: "module example.com/w\n\ngo 1.26\n\nrequire (\n\tgithub.com/a/a v1.2.0\n\tgithub.com/b/b v1.5.0\n\tgithub.com/owner/dep v0.3.0\n\tgithub.com/c/c v0.1.0\n)\n", inRecord: true},
		{path: "go.sum", base: "a h1:x\n", ours: "a h1:x\nowner h1:y\n", theirs: "c h1:z\n", recorded: true, recordedAs: "a h1:x\nowner h1:y\n", want: ActionMerge,
			wantData: "a h1:x\nc h1:z\nowner h1:y\n", inRecord: true},
	}
	in, fsys := updateInput(t, cases, true)
	plan, err := PlanUpdate(in)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, plan, cases)
	if !strings.Contains(strings.Join(plan.Notes, "\n"), "does not reproduce the recorded hash of unreproduced.go") {
		t.Errorf("no note on the base render not reproducing a recorded hash: %q", plan.Notes)
	}
	if got := plan.Conflicts(); !slices.Equal(got, []string{"conflict.go", "new_upstream_owner_has.go"}) {
		t.Errorf("Conflicts() = %v", got)
	}
	rec, err := ParseRecord(RecordFile, plan.Record)
	if err != nil {
		t.Fatal(err)
	}
	if rec.MCPForgeVersion != "v0.2.0" {
		t.Errorf("recorded version %q, want v0.2.0", rec.MCPForgeVersion)
	}
	if want := []string{"internal/tools/forecast.go", "internal/tools/old_add.go"}; !slices.Equal(rec.Owned, want) {
		t.Errorf("owned = %v, want %v", rec.Owned, want)
	}
	for _, c := range cases {
		h, ok := rec.Files[c.path]
		if ok != c.inRecord {
			t.Errorf("%s: in the new record %v, want %v", c.path, ok, c.inRecord)
		}
		if ok && c.theirs != "" && c.path != "go.mod" && c.path != "go.sum" && h != hashOf([]byte(c.theirs)) {
			t.Errorf("%s: recorded %s, want the new render's hash (conflicts too)", c.path, h)
		}
	}

	// Applied, the plan leaves nothing to do the next time.
	for _, f := range plan.Files {
		switch f.Action {
		case ActionRemove:
			delete(fsys, f.Path)
		case ActionUpdate, ActionCreate, ActionMerge, ActionConflict:
			fsys[f.Path] = &fstest.MapFile{Data: f.Data}
		}
	}
	fsys[RecordFile] = &fstest.MapFile{Data: plan.Record}
	next := UpdateInput{Repo: Repo{Record: rec, FS: fsys}, Base: in.Theirs, Theirs: in.Theirs, Version: "v0.2.0"}
	again, err := PlanUpdate(next)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range again.Files {
		if f.Action != ActionKeep {
			t.Errorf("second update: %s %s (%s), want nothing but kept edits", f.Action, f.Path, f.Note)
		}
	}
	if again.RecordChanged {
		t.Errorf("second update rewrites the record:\n%s", again.Record)
	}
}

// TestPlanUpdateTwoWay: without a base, untouched files still take the new
// render, an edited file mcpforge did not change is kept, and an edited
// file it changed becomes a whole-file conflict.
func TestPlanUpdateTwoWay(t *testing.T) {
	cases := []updateCase{
		{path: "untouched.go", base: "a\n", ours: "a\n", theirs: "b\n", recorded: true, want: ActionUpdate, wantData: "b\n", inRecord: true},
		{path: "edited_unchanged.go", base: "a\n", ours: "mine\n", theirs: "a\n", recorded: true, want: ActionKeep, inRecord: true},
		{path: "edited_changed.go", base: "a\n", ours: "mine\n", theirs: "b\n", recorded: true, want: ActionConflict,
			wantData: "<<<<<<< yours\nmine\n=======\nb\n>>>>>>> mcpforge v0.2.0\n", inRecord: true},
		{path: "dropped_or_added.go", base: "a\n", ours: "a\n", recorded: true, want: ActionKeep, attention: true, inRecord: true},
	}
	in, _ := updateInput(t, cases, false)
	in.BaseMissing = "a development build"
	plan, err := PlanUpdate(in)
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, plan, cases)
	if !strings.Contains(strings.Join(plan.Notes, "\n"), "no merge base: a development build") {
		t.Errorf("notes %q do not say why there is no base", plan.Notes)
	}
	rec, _ := ParseRecord(RecordFile, plan.Record)
	if !rec.IsOwned("dropped_or_added.go") {
		t.Error("a recorded file neither render has is not the owner's after a two-way update")
	}
}

// updateInput builds the repository, the record and the renders of the
// cases; withBase false leaves the base out (two-way).
func updateInput(t *testing.T, cases []updateCase, withBase bool) (UpdateInput, fstest.MapFS) {
	t.Helper()
	fsys := fstest.MapFS{}
	base, theirs := &FileSet{}, &FileSet{}
	rec := Record{Answers: Defaults("w"), MCPForgeVersion: "v0.1.0", Files: map[string]string{}}
	for _, c := range cases {
		if c.ours != "" {
			fsys[c.path] = &fstest.MapFile{Data: []byte(c.ours)}
		}
		if c.base != "" && withBase {
			if err := base.Add(c.path, []byte(c.base), fileMode); err != nil {
				t.Fatal(err)
			}
		}
		if c.theirs != "" {
			if err := theirs.Add(c.path, []byte(c.theirs), fileMode); err != nil {
				t.Fatal(err)
			}
		}
		if c.recorded {
			rec.Files[c.path] = hashOf([]byte(c.base))
			if c.recordedAs != "" {
				rec.Files[c.path] = hashOf([]byte(c.recordedAs))
			}
		}
		if c.owned {
			rec.Owned = append(rec.Owned, c.path)
		}
	}
	slices.Sort(rec.Owned)
	fsys[RecordFile] = &fstest.MapFile{Data: rec.Encode()}
	in := UpdateInput{Repo: Repo{Record: rec, FS: fsys}, Base: base, Theirs: theirs, Version: "v0.2.0"}
	if !withBase {
		in.Base = nil
	}
	return in, fsys
}

func checkPlan(t *testing.T, plan *UpdatePlan, cases []updateCase) {
	t.Helper()
	got := map[string]UpdateFile{}
	for _, f := range plan.Files {
		got[f.Path] = f
	}
	for _, c := range cases {
		f, ok := got[c.path]
		switch {
		case c.want == "" && ok:
			t.Errorf("%s: %s (%s), want nothing done", c.path, f.Action, f.Note)
		case c.want == "":
		case !ok:
			t.Errorf("%s: not in the plan, want %s", c.path, c.want)
		case f.Action != c.want:
			t.Errorf("%s: %s (%s), want %s", c.path, f.Action, f.Note, c.want)
		case c.wantData != "" && string(f.Data) != c.wantData:
			t.Errorf("%s: writes\n%q\nwant\n%q", c.path, f.Data, c.wantData)
		case f.Attention != c.attention:
			t.Errorf("%s: attention %v, want %v (%s)", c.path, f.Attention, c.attention, f.Note)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"v0.1.0", "v0.2.0", -1},
		{"v0.2.0", "v0.1.0", 1},
		{"v0.2.0", "v0.2.0", 0},
		{"v0.2.0", DevelVersion, -1}, // a development build is the newest
		{DevelVersion, "v9.0.0", 1},
		{DevelVersion, DevelVersion, 0},
		{"v0.0.0-20261130150000-abcdef123456", "v0.1.0", -1},
		{"0.2.0", "v0.3.0", -1}, // stamped without its v
		{"v0.2.0", "0.2.0", 0},
	} {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// TestRecordedAnswers: the old version gets the answers exactly as
// recorded, without the [record] table; an answer it refuses is found in
// its message.
func TestRecordedAnswers(t *testing.T) {
	a, err := recordedAnswers([]byte("name = \"w\"\nfuture = \"x\"\n\n[record]\nmcpforge_version = \"v0.1.0\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 2 || a["name"] != "w" || a["future"] != "x" {
		t.Errorf("recordedAnswers = %v", a)
	}
	if got := unknownKeyOf(`mcpforge: /tmp/a.toml:2: unknown key "future"; known keys are name`); got != "future" {
		t.Errorf("unknownKeyOf = %q, want future", got)
	}
}

func TestUnresolvedConflicts(t *testing.T) {
	marked := string(wholeConflict([]byte("mine\n"), []byte("theirs\n"), "mcpforge v0.2.0"))
	fsys := fstest.MapFS{
		"a.go":            {Data: []byte(marked)},
		"b.go":            {Data: []byte("clean\n")},
		"docs.md":         {Data: []byte("git marks a conflict with\n<<<<<<< yours\n>>>>>>> theirs\n")},
		"owned_marked.go": {Data: []byte(marked)},
	}
	rec := Record{Files: map[string]string{"a.go": "", "b.go": "", "docs.md": "", "owned_marked.go": "", "gone.go": ""}, Owned: []string{"owned_marked.go"}}
	got, err := UnresolvedConflicts(Repo{Record: rec, FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"a.go"}) {
		t.Errorf("UnresolvedConflicts = %v, want [a.go]", got)
	}
}

// TestPlanUpdateKeepsMode: a generated file the owner made executable stays
// so when update rewrites it.
func TestPlanUpdateKeepsMode(t *testing.T) {
	cases := []updateCase{{path: "run.sh", base: "a\n", ours: "a\n", theirs: "b\n", recorded: true, want: ActionUpdate}}
	in, fsys := updateInput(t, cases, true)
	fsys["run.sh"].Mode = 0o755
	plan, err := PlanUpdate(in)
	if err != nil {
		t.Fatal(err)
	}
	set, err := plan.Writes()
	if err != nil {
		t.Fatal(err)
	}
	if f, ok := set.Get("run.sh"); !ok || f.Mode != 0o755 {
		t.Errorf("run.sh written with mode %v, want 0755", f.Mode)
	}
}
