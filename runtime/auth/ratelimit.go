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
	"time"
)

// limiter is a token bucket per client address, spent by failed
// authentication. Buckets refill continuously, so nobody is locked out for
// good; memory is bounded by forgetting full buckets (which are the same as
// no bucket) and then the clients seen longest ago.
type limiter struct {
	burst      float64
	refill     time.Duration // time to earn back one token
	maxClients int

	mu      sync.Mutex
	buckets map[string]*bucket
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
		buckets:    make(map[string]*bucket),
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
func (l *limiter) blocked(client string, now time.Time) (time.Duration, bool) {
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
func (l *limiter) fail(client string, now time.Time) {
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
	}
	b.tokens = math.Max(0, l.level(b, now)-1)
}

// evict makes room: first by dropping full buckets, then by dropping the
// tenth of the clients seen longest ago (keep is never dropped). Evicting in
// batches keeps the cost per failure amortized constant.
func (l *limiter) evict(now time.Time, keep string) {
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

// size returns the number of clients tracked.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
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
// header is whatever the client chose to send).
func clientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer, ok := peerAddr(r)
	if !ok || !trustedPeer(peer, trusted) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if hop == "" {
			continue
		}
		addr, ok := parseHop(hop)
		if !ok {
			break
		}
		client = addr
		if !trustedPeer(addr, trusted) {
			break
		}
	}
	return client
}

func parseHop(hop string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(hop); err == nil {
		return ap.Addr().Unmap(), true
	}
	addr, err := netip.ParseAddr(strings.Trim(hop, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}

// limiterKey groups addresses the way one client holds them: one IPv4
// address, or one IPv6 /64 (a single host usually owns a whole /64, and
// counting its addresses apart would let it rotate past the limit).
func limiterKey(addr netip.Addr) string {
	if !addr.IsValid() {
		return "unknown"
	}
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
