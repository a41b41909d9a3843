// Package typo measures how far a mistyped word is from the words it may
// have meant, for "did you mean" hints: unknown keys of a config file or an
// answers file, unknown tool arguments, misspelt words of a spec. It is the
// one edit distance of mcpforge and of the servers it generates.
package typo

// Distance returns the Levenshtein distance between a and b, counted in
// runes (what a user counts in an editor): the fewest insertions, deletions
// and substitutions of one rune that turn a into b.
func Distance(a, b string) int {
	x, y := []rune(a), []rune(b)
	prev := make([]int, len(y)+1)
	cur := make([]int, len(y)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(x); i++ {
		cur[0] = i
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(y)]
}

// Closest returns the candidate nearest to word by Distance, if it is at
// most maxEdits away; of equally near candidates, the first. It returns
// false when no candidate is that near.
func Closest(word string, candidates []string, maxEdits int) (string, bool) {
	best, bestDist := "", maxEdits+1
	for _, c := range candidates {
		if d := Distance(word, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, bestDist <= maxEdits
}
