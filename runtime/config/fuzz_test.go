package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary documents to Load: whatever the input, it must
// return a config or an error, never panic.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{
		"",
		"[server]\nname = \"x\"\n[server.http]\nport = 1\n",
		"[server.htp]\nport = 1\n",
		"a.b.c = 1\n[[x]]\ny = 2\n",
		"server = { http = { port = \"x\", \"q\\\"k\" = 1 } }\n",
		"[log]\nlevel = '''\nmulti\n'''\n",
		"[server]\nhttp = []\n",
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, doc string) {
		path := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path, "", Defaults("w", "1"))
		if err == nil {
			_ = cfg.Validate()
		}
	})
}
