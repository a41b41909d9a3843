package runtime

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// allowedImports are the module paths a runtime package may import besides
// the standard library: the modules every generated server requires anyway.
var allowedImports = []string{
	"github.com/mcpforge/mcpforge/runtime",
	"github.com/mark3labs/mcp-go",
	"github.com/BurntSushi/toml",
	"github.com/lestrrat-go/jwx/v3",
	"github.com/google/cel-go",
}

// telemetryImports are the modules only servers with observability
// require, and so only package telemetry may import.
var telemetryImports = []string{
	"github.com/prometheus/client_model",
	"github.com/prometheus/common",
	"go.opentelemetry.io/otel",
	"go.opentelemetry.io/proto/otlp",
	"google.golang.org/protobuf",
}

func TestFSHoldsEachPackageWithItsTests(t *testing.T) {
	for _, want := range []string{
		"config/config.go", "config/load.go", "config/config_test.go",
		"httpserver/httpserver.go", "httpserver/httpserver_test.go",
		"toolargs/toolargs.go", "toolargs/toolargs_test.go",
		"typedtool/typedtool.go", "typedtool/typedtool_test.go",
		"heapfloor/heapfloor.go", "heapfloor/heapfloor_test.go",
		"envelope/envelope.go", "envelope/envelope_test.go",
	} {
		if _, err := fs.Stat(FS, want); err != nil {
			t.Errorf("FS lacks %s: %v", want, err)
		}
	}
}

// TestRuntimeImportsOnlyWhatGeneratedServersHave guards the copy: a runtime
// file importing anything else would not build in a generated repository.
func TestRuntimeImportsOnlyWhatGeneratedServersHave(t *testing.T) {
	fset := token.NewFileSet()
	n := 0
	err := fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				t.Errorf("%s: runtime packages may not have testdata directories (they are not copied)", p)
			}
			return nil
		}
		if path.Ext(p) != ".go" {
			return nil
		}
		n++
		src, err := fs.ReadFile(FS, p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, p, src, parser.ImportsOnly)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			return nil
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			if !strings.Contains(strings.Split(ip, "/")[0], ".") {
				continue // standard library
			}
			ok := false
			allowed := allowedImports
			if strings.HasPrefix(p, "telemetry/") {
				allowed = append(slices.Clone(allowed), telemetryImports...)
			}
			for _, a := range allowed {
				if ip == a || strings.HasPrefix(ip, a+"/") {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s imports %s, which a generated server does not have", p, ip)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("FS holds no Go files")
	}
}
