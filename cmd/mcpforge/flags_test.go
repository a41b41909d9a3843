package main

import "flag"

// update makes tests rewrite their expected output (testscript cmp files,
// golden trees) instead of failing: go test ./cmd/mcpforge -update.
var update = flag.Bool("update", false, "rewrite expected output instead of comparing")
