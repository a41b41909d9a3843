package auth

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// limitFailures is the rate-limit middleware: a client whose failed
// authentications (counted by verify, through failed) have emptied its
// token bucket gets 429 with Retry-After, before anything about its request
// is verified. Successful requests cost nothing.
func (a *Authenticator) limitFailures(next http.Handler) http.Handler {
	l := a.limiter
	if l == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Preflights carry no credentials by design; a server no client
		// has failed at has no bucket to look up.
		if r.Method != http.MethodOptions && l.tracked.Load() > 0 {
			if wait, limited := l.blocked(limiterKey(clientAddr(r, a.trusted)), a.now()); limited {
				if a.observer != nil {
					a.observer.AuthFailed(ReasonRateLimited)
				}
				w.Header().Set("Retry-After", retryAfter(wait))
				writeJSON(w, http.StatusTooManyRequests, "rate_limited", "too many failed authentication attempts; retry later")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// failed spends a token of the bucket of r's client.
func (a *Authenticator) failed(r *http.Request) {
	if a.limiter != nil {
		a.limiter.fail(limiterKey(clientAddr(r, a.trusted)), a.now())
	}
}

// limiter is a token bucket per client, spent by failed authentication.
// Buckets refill continuously, so nobody is locked out for good; memory is
// bounded by forgetting full buckets (which are the same as no bucket) and
// then the clients seen longest ago.
type limiter struct {
	burst      float64
	refill     time.Duration // time to earn back one token
	maxClients int

	tracked atomic.Int64 // len(buckets), readable without the lock

	mu      sync.Mutex
	buckets map[netip.Prefix]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(burst int, refill time.Duration, maxClients int) *limiter {
	return &limiter{
		burst:      float64(burst),
		refill:     refill,
		maxClients: maxClients,
		buckets:    make(map[netip.Prefix]*bucket),
	}
}

// level refills b up to now and returns its tokens.
func (l *limiter) level(b *bucket, now time.Time) float64 {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+float64(elapsed)/float64(l.refill))
		b.last = now
	}
	return b.tokens
}

// blocked reports whether client has no failures left, and how long until
// it has one again.
func (l *limiter) blocked(client netip.Prefix, now time.Time) (time.Duration, bool) {
	if l == nil {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		return 0, false
	}
	tokens := l.level(b, now)
	if tokens >= 1 {
		return 0, false
	}
	return time.Duration((1 - tokens) * float64(l.refill)), true
}

// fail spends one token of client.
func (l *limiter) fail(client netip.Prefix, now time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[client] = b
		if len(l.buckets) > l.maxClients {
			l.evict(now, client)
		}
		l.tracked.Store(int64(len(l.buckets)))
	}
	b.tokens = math.Max(0, l.level(b, now)-1)
}

// evict makes room: first by dropping full buckets, then by dropping the
// tenth of the clients seen longest ago (keep is never dropped). Evicting in
// batches keeps the cost per failure amortized constant.
func (l *limiter) evict(now time.Time, keep netip.Prefix) {
	for k, b := range l.buckets {
		if k != keep && l.level(b, now) >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) <= l.maxClients {
		return
	}
	lasts := make([]time.Time, 0, len(l.buckets))
	for _, b := range l.buckets {
		lasts = append(lasts, b.last)
	}
	slices.SortFunc(lasts, func(a, b time.Time) int { return a.Compare(b) })
	drop := len(lasts) - (l.maxClients - l.maxClients/10)
	cut := lasts[max(1, min(len(lasts), drop))-1]
	for k, b := range l.buckets {
		if k != keep && !b.last.After(cut) {
			delete(l.buckets, k)
		}
	}
}

// retryAfter renders a wait as Retry-After seconds, rounded up, at least 1.
func retryAfter(d time.Duration) string {
	secs := int64(math.Ceil(d.Seconds()))
	return strconv.FormatInt(max(1, secs), 10)
}

// peerAddr is the TCP peer of r, from RemoteAddr (never from headers).
func peerAddr(r *http.Request) (netip.Addr, bool) {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}

// trustedPeer reports whether addr is one of the trusted proxies.
func trustedPeer(addr netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// clientAddr is the address failures are counted against: the TCP peer,
// or, when the peer is a trusted proxy, the right-most address of
// X-Forwarded-For that is not itself a trusted proxy (the left part of the
// header is whatever the client chose to send). It allocates nothing.
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer, ok := peerAddr(r)
	if !ok || !trustedPeer(peer, trusted) {
		return peer
	}
	client := peer
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		v := values[i]
		for {
			j := strings.LastIndexByte(v, ',')
			if hop := strings.TrimSpace(v[j+1:]); hop != "" {
				addr, ok := parseHop(hop)
				if !ok {
					return client
				}
				client = addr
				if !trustedPeer(addr, trusted) {
					return client
				}
			}
			if j < 0 {
				break
			}
			v = v[:j]
		}
	}
	return client
}

// parseHop reads one X-Forwarded-For entry: an address, or an address and
// port. The bare address, by far the usual form, is tried first, since a
// failed parse allocates its error.
func parseHop(hop string) (netip.Addr, bool) {
	if addr, err := netip.ParseAddr(strings.Trim(hop, "[]")); err == nil {
		return addr.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// limiterKey groups addresses the way one client holds them: one IPv4
// address, or one IPv6 /64 (a single host usually owns a whole /64, and
// counting its addresses apart would let it rotate past the limit). Every
// address that cannot be read shares the zero key.
func limiterKey(addr netip.Addr) netip.Prefix {
	if !addr.IsValid() {
		return netip.Prefix{}
	}
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}
