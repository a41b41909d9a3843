package auth

import (
	"hash/maphash"
	"sync"
)

// verifiedCacheSize bounds the signature cache: a few thousand distinct
// live tokens cover most servers; beyond that, entries are replaced at
// random and merely verified again.
const verifiedCacheSize = 4096

// verifiedCacheBytes bounds the token bytes the cache keeps, so that
// thousands of large tokens cannot make it hold tens of MiB.
const verifiedCacheBytes = 4 << 20

// verifiedCache remembers which tokens had a valid signature under which
// key set, and their parsed form, so a client repeating its token (every MCP
// request does) costs a hash and a comparison instead of a public-key
// operation and two JSON decodes. Issuer, audience and times are still
// checked on every request, against the cached claims. An entry is found by
// a hash of the token under a seed random to the process and matches only
// the exact token bytes it holds: a collision, which no caller can aim for,
// is a miss. It also holds the key set that verified the token; once the
// JWKS is refreshed (a new key set), the entry no longer matches, so a key
// removed from the JWKS stops working at once. Cached tokens are never
// modified.
type verifiedCache struct {
	mu       sync.Mutex
	max      int
	maxBytes int
	bytes    int // of the tokens held
	seed     maphash.Seed
	m        map[uint64]verifiedEntry
}

type verifiedEntry struct {
	raw   string // the token as presented
	keys  *keySet
	token *compactToken
}

func newVerifiedCache(max int) *verifiedCache {
	return &verifiedCache{max: max, maxBytes: verifiedCacheBytes, seed: maphash.MakeSeed(), m: make(map[uint64]verifiedEntry, max)}
}

// A nil *verifiedCache caches nothing.

// get returns the parsed token raw if it was verified under keys, else nil.
func (c *verifiedCache) get(raw string, keys *keySet) *compactToken {
	if c == nil || keys == nil {
		return nil
	}
	h := maphash.String(c.seed, raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[h]; ok && e.keys == keys && e.raw == raw {
		return e.token
	}
	return nil
}

// add records that the token raw, parsed as t, was verified under keys.
func (c *verifiedCache) add(raw string, keys *keySet, t *compactToken) {
	if c == nil || len(raw) > c.maxBytes {
		return
	}
	h := maphash.String(c.seed, raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[h]; ok {
		c.bytes -= len(old.raw)
		delete(c.m, h)
	}
	for len(c.m) > 0 && (len(c.m) >= c.max || c.bytes+len(raw) > c.maxBytes) {
		for k, e := range c.m { // map order is random: a random victim
			c.bytes -= len(e.raw)
			delete(c.m, k)
			break
		}
	}
	c.m[h] = verifiedEntry{raw: raw, keys: keys, token: t}
	c.bytes += len(raw)
}
