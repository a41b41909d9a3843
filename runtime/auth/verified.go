package auth

import (
	"sync"
)

// verifiedCacheSize bounds the signature cache: a few thousand distinct
// live tokens cover most servers; beyond that, entries are replaced at
// random and merely verified again.
const verifiedCacheSize = 4096

// verifiedCache remembers which tokens had a valid signature under which
// key set, and their parsed form, so a client repeating its token (every MCP
// request does) costs a SHA-256 instead of a public-key operation and two
// JSON decodes. Issuer, audience and times are still checked on every
// request, against the cached claims. An entry is keyed by the SHA-256 of
// the exact token bytes and holds the key set that verified it; once the
// JWKS is refreshed (a new key set), the entry no longer matches, so a key
// removed from the JWKS stops working at once. Cached tokens are never
// modified.
type verifiedCache struct {
	mu  sync.Mutex
	max int
	m   map[[32]byte]verifiedEntry
}

type verifiedEntry struct {
	keys  *keySet
	token *compactToken
}

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{max: max, m: make(map[[32]byte]verifiedEntry, max)}
}

// A nil *verifiedCache caches nothing.

// get returns the parsed token with digest if it was verified under keys,
// else nil.
func (c *verifiedCache) get(digest [32]byte, keys *keySet) *compactToken {
	if c == nil || keys == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[digest]; ok && e.keys == keys {
		return e.token
	}
	return nil
}

// add records that the token t with digest was verified under keys.
func (c *verifiedCache) add(digest [32]byte, keys *keySet, t *compactToken) {
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
	c.m[digest] = verifiedEntry{keys: keys, token: t}
}
