package envelope

import (
	"encoding/binary"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth is encoding/json's limit on nesting: a body nested deeper is
// not valid to it (json.Valid), so it is not to Parse either.
const maxDepth = 10000

// metaVersionKey is the key of the protocol version in params._meta.
const metaVersionKey = "io.modelcontextprotocol/protocolVersion"

// scanner walks a JSON body once. Every method stops at the first syntax
// error, setting bad, and never indexes outside b.
type scanner struct {
	b   []byte
	i   int  // the next byte to read
	bad bool // a syntax error was found: stop
}

// Keys the scanner looks for, at the top of a message and in its params.
const (
	keyOther = iota
	keyMethod
	keyID
	keyParams
	keyName
	keyURI
	keyArguments
	keyMeta
)

// message parses the JSON-RPC message object at s.i (a '{'), nested in
// depth containers, into m.
func (s *scanner) message(m *message, depth int) {
	if !s.open(depth) {
		return
	}
	for {
		k, ok := s.key()
		if !ok {
			return
		}
		switch s.topKey(k) {
		case keyMethod:
			// A value of another type, null included, leaves a struct
			// field as it was, and mcp-go decodes into a struct.
			if s.peek() == '"' {
				if sp := s.str(); !s.bad {
					m.method = sp
				}
			} else {
				s.skipValue(depth+1, false)
			}
		case keyID:
			s.id(m, depth+1)
		case keyParams:
			s.params(m, depth+1)
		default:
			s.skipValue(depth+1, false)
		}
		if s.bad || !s.more('}') {
			return
		}
	}
}

// id reads a message's id. mcp-go decodes it into an interface: the last id
// wins, null clears it, and a number beyond float64's range is an error
// that leaves the previous value.
func (s *scanner) id(m *message, depth int) {
	switch c := s.peek(); {
	case c == '"':
		if sp := s.str(); !s.bad {
			m.id, m.idKind = sp, idString
		}
	case c == '-' || ('0' <= c && c <= '9'):
		start := s.i
		s.number()
		if !s.bad && inRange(s.b[start:s.i]) {
			m.id, m.idKind = strSpan{start: start, end: s.i, set: true}, idNumber
		}
	case c == 'n':
		s.literal("null")
		if !s.bad {
			m.id, m.idKind = strSpan{}, idNone
		}
	default:
		s.skipValue(depth, false)
		if !s.bad {
			m.id, m.idKind = strSpan{}, idOther
		}
	}
}

// params reads one "params" value. Occurrences merge as they do in a
// struct (mcp-go's decode of prompts/get, resources/read and of _meta),
// while nameLast keeps only the last one's name, as mcp-go's tools/call
// sees it.
func (s *scanner) params(m *message, depth int) {
	switch s.peek() {
	case '{':
	case 'n':
		s.literal("null")
		m.nameLast = strSpan{}
		return
	default:
		s.skipValue(depth, false)
		m.nameLast = strSpan{}
		m.metaBad = true // mcp-go's decode of params._meta fails on it
		return
	}
	name := s.paramsObject(m, depth)
	if name.set {
		m.nameMerged = name
	}
	m.nameLast = name
}

// paramsObject reads a params object into m, but for its name, which it
// returns (unset when it has no string name).
func (s *scanner) paramsObject(m *message, depth int) (name strSpan) {
	if !s.open(depth) {
		return name
	}
	for {
		k, ok := s.key()
		if !ok {
			return name
		}
		switch key := s.paramsKey(k); key {
		case keyName, keyURI:
			if s.peek() != '"' {
				s.skipValue(depth+1, false)
				break
			}
			sp := s.str()
			if s.bad {
				return name
			}
			if key == keyName {
				name = sp
			} else {
				m.uri = sp
			}
		case keyArguments:
			start := s.i
			s.skipValue(depth+1, false)
			if !s.bad {
				m.args, m.hasArgs = [2]int{start, s.i}, true
			}
		case keyMeta:
			s.meta(m, depth+1)
		default:
			s.skipValue(depth+1, false)
		}
		if s.bad || !s.more('}') {
			return name
		}
	}
}

// meta reads a params._meta value. mcp-go decodes it into a map (exact
// keys, the last duplicate wins), fresh for each occurrence; a value that
// is not an object or null, or a number beyond float64's range anywhere in
// it, fails that decode, and mcp-go then sees no version at all.
func (s *scanner) meta(m *message, depth int) {
	switch s.peek() {
	case '{':
	case 'n':
		s.literal("null")
		m.version = strSpan{}
		return
	default:
		s.skipValue(depth, false)
		m.metaBad = true
		return
	}
	m.version = s.metaObject(m, depth)
}

// metaObject reads a _meta object and returns its protocol version (unset
// when it has none that is a string).
func (s *scanner) metaObject(m *message, depth int) (version strSpan) {
	if !s.open(depth) {
		return version
	}
	for {
		k, ok := s.key()
		if !ok {
			return version
		}
		isVersion := s.equals(k, metaVersionKey)
		if isVersion && s.peek() == '"' {
			version = s.str()
		} else {
			if isVersion {
				version = strSpan{}
			}
			if !s.skipValue(depth+1, true) {
				m.metaBad = true
			}
		}
		if s.bad || !s.more('}') {
			return version
		}
	}
}

// open consumes the '{' at s.i of an object nested in depth containers and
// reports whether a member follows (false for "{}" and on error).
func (s *scanner) open(depth int) bool {
	s.i++
	if depth+1 > maxDepth {
		s.bad = true
		return false
	}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return false
	}
	return true
}

// key reads a member's key and its colon, and the whitespace after it.
func (s *scanner) key() (strSpan, bool) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		s.bad = true
		return strSpan{}, false
	}
	k := s.str()
	s.ws()
	if s.bad || s.i >= len(s.b) || s.b[s.i] != ':' {
		s.bad = true
		return strSpan{}, false
	}
	s.i++
	s.ws()
	return k, true
}

// more reads what follows a member: a comma (true) or the object's end
// (false).
func (s *scanner) more(end byte) bool {
	s.ws()
	if s.i < len(s.b) {
		switch s.b[s.i] {
		case ',':
			s.i++
			return true
		case end:
			s.i++
			return false
		}
	}
	s.bad = true
	return false
}

// peek returns the byte at s.i, 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// ws skips JSON whitespace.
func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// literal consumes lit (true, false or null) at s.i.
func (s *scanner) literal(lit string) {
	if len(s.b)-s.i >= len(lit) && string(s.b[s.i:s.i+len(lit)]) == lit {
		s.i += len(lit)
		return
	}
	s.bad = true
}

// number consumes a JSON number at s.i, checking its grammar.
func (s *scanner) number() {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		s.bad = true
		return
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			s.bad = true
			return
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			s.bad = true
			return
		}
		i = j
	}
	s.i = i
}

// digits returns the index of the first byte at or after i that is not a
// decimal digit.
func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// inRange reports whether the valid JSON number text decodes to a float64,
// as encoding/json demands of a number it puts in an interface.
func inRange(text []byte) bool {
	if len(text) <= 300 {
		plain := true
		for _, c := range text {
			if c == 'e' || c == 'E' {
				plain = false
				break
			}
		}
		if plain {
			return true // fewer than 309 integer digits: below 1e308
		}
	}
	_, err := strconv.ParseFloat(string(text), 64)
	return err == nil
}

// strSpecial marks the bytes a JSON string cannot hold as they are: the
// quote that ends it, the backslash of an escape, control characters.
var strSpecial = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// Masks for finding, eight bytes at a time, a byte below 0x20, a quote or
// a backslash (the classic has-zero-byte and has-less-than tests, which are
// exact for "is there any such byte").
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = '"' * ones
	slashs = '\\' * ones
)

// str consumes the JSON string at s.i (a '"'), checking its escapes, and
// returns its contents.
func (s *scanner) str() strSpan {
	b := s.b
	i := s.i + 1
	sp := strSpan{start: i}
	for {
		// Long strings (arguments) go eight bytes at a time.
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^quotes, x^slashs
			if ((x-0x20*ones)&^x|(q-ones)&^q|(bs-ones)&^bs)&highs != 0 {
				break
			}
			i += 8
		}
		for i < len(b) && !strSpecial[b[i]] {
			i++
		}
		if i >= len(b) {
			s.bad = true
			return strSpan{}
		}
		switch b[i] {
		case '"':
			sp.end, sp.set = i, true
			s.i = i + 1
			return sp
		case '\\':
			sp.esc = true
			if i+1 >= len(b) {
				s.bad = true
				return strSpan{}
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if getu4(b[i:]) < 0 {
					s.bad = true
					return strSpan{}
				}
				i += 6
			default:
				s.bad = true
				return strSpan{}
			}
		default: // a control character
			s.bad = true
			return strSpan{}
		}
	}
}

// skipValue skips the JSON value at s.i, nested in depth containers,
// checking its syntax without recursion or, up to 64 levels of nesting
// inside it, allocation. With checkRange it reports whether every number
// in it fits a float64.
func (s *scanner) skipValue(depth int, checkRange bool) (fits bool) {
	fits = true
	var small [1]uint64
	kinds := small[:] // one bit per open container: 1 for an object
	n := 0            // containers open inside the value
	for {
		// A value starts at s.i.
		s.ws()
		if s.i >= len(s.b) {
			s.bad = true
			return fits
		}
		switch c := s.b[s.i]; c {
		case '{', '[':
			s.i++
			if depth+n+1 > maxDepth {
				s.bad = true
				return fits
			}
			w, bit := n/64, uint64(1)<<(n%64)
			if w >= len(kinds) {
				kinds = append(kinds, 0)
			}
			if c == '{' {
				kinds[w] |= bit
			} else {
				kinds[w] &^= bit
			}
			n++
			s.ws()
			if s.i < len(s.b) && s.b[s.i] == c+2 { // '}' or ']'
				s.i++
				n--
				break
			}
			if c == '{' && !s.skipKey() {
				return fits
			}
			continue
		case '"':
			s.str()
		case 't':
			s.literal("true")
		case 'f':
			s.literal("false")
		case 'n':
			s.literal("null")
		default:
			start := s.i
			s.number()
			if checkRange && !s.bad && !inRange(s.b[start:s.i]) {
				fits = false
			}
		}
		// A value ended: close containers until a comma starts another.
	next:
		for {
			if s.bad || n == 0 {
				return fits
			}
			s.ws()
			if s.i >= len(s.b) {
				s.bad = true
				return fits
			}
			top := n - 1
			object := kinds[top/64]>>(top%64)&1 == 1
			switch c := s.b[s.i]; {
			case c == ',':
				s.i++
				if object && !s.skipKey() {
					return fits
				}
				break next
			case object && c == '}', !object && c == ']':
				s.i++
				n--
			default:
				s.bad = true
				return fits
			}
		}
	}
}

// skipKey consumes a member's key and colon.
func (s *scanner) skipKey() bool {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		s.bad = true
		return false
	}
	s.str()
	s.ws()
	if s.bad || s.i >= len(s.b) || s.b[s.i] != ':' {
		s.bad = true
		return false
	}
	s.i++
	return true
}

// topKey says which key of a message k is, matched as encoding/json matches
// a struct field's name.
func (s *scanner) topKey(k strSpan) int {
	raw := s.b[k.start:k.end]
	if k.esc || !isASCII(raw) {
		switch {
		case foldedEqual(raw, k.esc, "METHOD"):
			return keyMethod
		case foldedEqual(raw, k.esc, "ID"):
			return keyID
		case foldedEqual(raw, k.esc, "PARAMS"):
			return keyParams
		}
		return keyOther
	}
	switch len(raw) {
	case 2:
		if asciiFoldEqual(raw, "id") {
			return keyID
		}
	case 6:
		if asciiFoldEqual(raw, "method") {
			return keyMethod
		}
		if asciiFoldEqual(raw, "params") {
			return keyParams
		}
	}
	return keyOther
}

// paramsKey says which key of a message's params k is, matched as
// encoding/json matches a struct field's name.
func (s *scanner) paramsKey(k strSpan) int {
	raw := s.b[k.start:k.end]
	if k.esc || !isASCII(raw) {
		switch {
		case foldedEqual(raw, k.esc, "NAME"):
			return keyName
		case foldedEqual(raw, k.esc, "URI"):
			return keyURI
		case foldedEqual(raw, k.esc, "ARGUMENTS"):
			return keyArguments
		case foldedEqual(raw, k.esc, "_META"):
			return keyMeta
		}
		return keyOther
	}
	switch len(raw) {
	case 3:
		if asciiFoldEqual(raw, "uri") {
			return keyURI
		}
	case 4:
		if asciiFoldEqual(raw, "name") {
			return keyName
		}
	case 5:
		if asciiFoldEqual(raw, "_meta") {
			return keyMeta
		}
	case 9:
		if asciiFoldEqual(raw, "arguments") {
			return keyArguments
		}
	}
	return keyOther
}

// equals reports whether the string k is exactly lit once unescaped, as a
// map key is matched.
func (s *scanner) equals(k strSpan, lit string) bool {
	raw := s.b[k.start:k.end]
	if !k.esc {
		return string(raw) == lit
	}
	if len(raw) > 6*len(lit) { // an escape is at most six bytes a byte
		return false
	}
	var buf [64]byte
	return string(appendUnquoted(buf[:0], raw)) == lit
}

// isASCII reports whether b is all ASCII.
func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiFoldEqual reports whether the ASCII key equals the lower-case name
// but for the case of letters.
func asciiFoldEqual(key []byte, name string) bool {
	if len(key) != len(name) {
		return false
	}
	for i, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// foldedEqual reports whether key (the raw contents of a JSON string, esc
// when it holds a backslash) matches a struct field whose name encoding/json
// folds to upper: unescaped, then folded rune by rune as
// encoding/json's foldName does (ASCII to upper case, any other rune to the
// smallest of its case-folding orbit, so that the Kelvin sign is a K and the
// long s an S).
func foldedEqual(key []byte, esc bool, upper string) bool {
	// Each rune of a match is one ASCII byte, a two- or three-byte rune, or
	// an escape of six bytes.
	if len(key) > 6*len(upper) {
		return false
	}
	if esc {
		var buf [64]byte
		key = appendUnquoted(buf[:0], key)
	}
	i := 0
	for j := 0; j < len(key); {
		var r rune
		if c := key[j]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			r = rune(c)
			j++
		} else {
			var size int
			r, size = utf8.DecodeRune(key[j:])
			r = foldRune(r)
			j += size
		}
		if i >= len(upper) || r != rune(upper[i]) {
			return false
		}
		i++
	}
	return i == len(upper)
}

// foldRune returns the smallest rune of r's case-folding orbit, as
// encoding/json's does.
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// appendUnquoted appends the contents of a JSON string, unescaped as
// encoding/json's unquote does: invalid UTF-8 and unpaired surrogates
// become U+FFFD. On a malformed escape (not in a valid body) it stops.
func appendUnquoted(dst, s []byte) []byte {
	for r := 0; r < len(s); {
		c := s[r]
		switch {
		case c == '\\':
			if r+1 >= len(s) {
				return dst
			}
			switch s[r+1] {
			case '"', '\\', '/', '\'':
				dst = append(dst, s[r+1])
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				rr := getu4(s[r:])
				if rr < 0 {
					return dst
				}
				r += 6
				if utf16.IsSurrogate(rr) {
					rr1 := getu4(s[r:])
					if dec := utf16.DecodeRune(rr, rr1); dec != unicode.ReplacementChar {
						r += 6
						dst = utf8.AppendRune(dst, dec)
						continue
					}
					rr = unicode.ReplacementChar
				}
				dst = utf8.AppendRune(dst, rr)
				continue
			default:
				return dst
			}
			r += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			r++
		default:
			rr, size := utf8.DecodeRune(s[r:])
			r += size
			dst = utf8.AppendRune(dst, rr)
		}
	}
	return dst
}

// getu4 decodes the \uXXXX escape at the start of s, or returns -1.
func getu4(s []byte) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}
