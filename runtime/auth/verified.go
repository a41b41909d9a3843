package auth

import (
	"sync"
)

// verifiedCacheSize bounds the signature cache: a few thousand distinct
// live tokens cover most servers; beyond that, entries are replaced at
// random and merely verified again.
const verifiedCacheSize = 4096

// verifiedCache remembers which tokens had a valid signature under which
// key set, so a client repeating its token (every MCP request does) costs
// a SHA-256 instead of a public-key operation. Only the signature is
// cached: header, issuer, audience and times are checked on every request.
// An entry is keyed by the SHA-256 of the exact token bytes and holds the
// key set that verified it; once the JWKS is refreshed (a new key set), the
// entry no longer matches, so a key removed from the JWKS stops working at
// once.
type verifiedCache struct {
	mu  sync.Mutex
	max int
	m   map[[32]byte]*keySet
}

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{max: max, m: make(map[[32]byte]*keySet, max)}
}

// A nil *verifiedCache caches nothing.

// has reports whether the token with digest was verified under keys.
func (c *verifiedCache) has(digest [32]byte, keys *keySet) bool {
	if c == nil || keys == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[digest] == keys
}

// add records that the token with digest was verified under keys.
func (c *verifiedCache) add(digest [32]byte, keys *keySet) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[digest]; !ok && len(c.m) >= c.max {
		for k := range c.m { // map order is random: a random victim
			delete(c.m, k)
			break
		}
	}
	c.m[digest] = keys
}
