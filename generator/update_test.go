package generator

import "flag"

// update makes tests rewrite the files they compare against (the pinned
// go.mod table, golden files) instead of failing: go test ./generator -update.
var update = flag.Bool("update", false, "rewrite generated tables and golden files instead of comparing")
