package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeAccessibleExample runs the accessible-mode example of README.md
// as a user pasting it would: one line per question, in the wizard's order,
// so the example breaks, and this test fails, when a question is added
// before the ones it answers.
func TestReadmeAccessibleExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`printf '([^']*)' \| mcpforge new --accessible`).FindSubmatch(readme)
	if m == nil {
		t.Fatal("README.md has no `printf '...' | mcpforge new --accessible` example")
	}
	input := strings.ReplaceAll(string(m[1]), `\n`, "\n")
	var out, errOut bytes.Buffer
	dir := filepath.Join(t.TempDir(), "weather")
	code := run([]string{"new", "--accessible", "--dry-run", "--dir", dir}, strings.NewReader(input), &out, &errOut)
	if code != 0 {
		t.Fatalf("the README example exits %d:\n%s\n%s", code, out.String(), errOut.String())
	}
	// What the example promises: the defaults, confirmed.
	want := "mcpforge new weather --module example.com/weather --description 'The weather MCP server' --transport stdio,http --auth none"
	if !strings.Contains(out.String(), want) {
		t.Errorf("the README example does not generate the defaults; its equivalent command:\n%s\nwant it to start with %q", out.String(), want)
	}
	if strings.Contains(out.String(), "invalid input") {
		t.Errorf("a line of the README example is refused by its question:\n%s", out.String())
	}
}
