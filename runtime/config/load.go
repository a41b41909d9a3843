package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/mcpforge/mcpforge/runtime/typo"
)

// Load returns defaults overlaid with the TOML file at path and then with
// the environment variables of envPrefix (see [EnvNames]).
//
// An empty path reads no file; an empty envPrefix reads no environment.
// The file is decoded strictly: every unknown key (including a known key
// under the wrong table), every value of the wrong type and every syntax
// error is reported with the file name and line, for example
//
//	config.toml:12: unknown key server.htp.port (did you mean server.http.port?)
//
// An environment variable that is set but cannot be parsed is an error
// naming the variable, and so is one that starts with the prefix and a
// table (WEATHER_SERVER_HTTP_PROT) but names no key, with the variable it
// most likely meant. Other variables of the prefix are left alone. An
// empty variable counts as unset.
//
// When public_url is configured neither in the file nor in the environment,
// and defaults derived it from their host and port, it is derived again from
// the final host and port.
//
// Load does not call [Config.Validate]: apply command-line overrides first,
// then validate once.
func Load(path, envPrefix string, defaults Config) (Config, error) {
	cfg := defaults.clone()
	publicURLSet := false

	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("cannot read config file: %w; pass an existing file or leave the path empty to use the defaults", err)
		}
		md, err := decodeFile(path, string(data), &cfg)
		if err != nil {
			return Config{}, err
		}
		publicURLSet = md.IsDefined("server", "http", "public_url")
		cfg.Telemetry.metricsAddrSet = md.IsDefined("telemetry", "metrics_addr")
	}

	if normalizePrefix(envPrefix) != "" {
		set, err := applyEnv(&cfg, envPrefix)
		if err != nil {
			return Config{}, err
		}
		if set["server.http.public_url"] {
			publicURLSet = true
		}
		if set["telemetry.metrics_addr"] {
			cfg.Telemetry.metricsAddrSet = true
		}
	}

	dh := defaults.Server.HTTP
	if !publicURLSet && (dh.PublicURL == "" || dh.PublicURL == DerivePublicURL(dh.Host, dh.Port)) {
		cfg.Server.HTTP.PublicURL = DerivePublicURL(cfg.Server.HTTP.Host, cfg.Server.HTTP.Port)
	}
	return cfg, nil
}

// decodeFile decodes the TOML document data (read from path) into cfg,
// refusing unknown keys and mistyped values. It parses twice: once into an
// empty struct to see every key and its type before anything is written,
// then into cfg.
func decodeFile(path, data string, cfg *Config) (toml.MetaData, error) {
	md, err := toml.Decode(data, &struct{}{})
	if err != nil {
		return md, syntaxError(path, err)
	}
	if err := checkKeys(path, data, md); err != nil {
		return md, err
	}
	md, err = toml.Decode(data, cfg)
	if err != nil {
		return md, decodeError(path, data, err)
	}
	return md, nil
}

// checkKeys reports every key of the document that is not in the schema, and
// every known key whose TOML type does not match, each with its line.
//
// MetaData.Undecoded is not enough: the decoder matches struct fields
// case-insensitively, so "PORT" would be taken for "port" without a trace.
// The check is therefore against the exact key names of the schema.
func checkKeys(path, data string, md toml.MetaData) error {
	_, byName := schema()
	keys := md.Keys() // in document order
	unknown := make([]bool, len(keys))
	// A table header such as [server.htp] is itself an unknown key; when keys
	// under it are reported too, the header adds nothing.
	parentOfUnknown := map[string]bool{}
	for i, k := range keys {
		if _, ok := byName[strings.Join(k, ".")]; ok || underLeaf(k, byName) {
			continue // a leaf's sub-keys are reported as a type error on the leaf
		}
		unknown[i] = true
		for j := 1; j < len(k); j++ {
			parentOfUnknown[strings.Join(k[:j], ".")] = true
		}
	}

	var problems []keyProblem
	more := 0
	add := func(k []string, msg func() string) {
		if len(problems) == maxReported {
			more++
			return
		}
		problems = append(problems, keyProblem{key: k, msg: msg()})
	}
	for i, k := range keys {
		name := strings.Join(k, ".")
		if unknown[i] {
			if !parentOfUnknown[name] {
				add(k, func() string {
					msg := "unknown key " + toml.Key(k).String()
					if s := suggest(k); s != "" {
						msg += " (did you mean " + s + "?)"
					}
					return msg
				})
			}
			continue
		}
		f, ok := byName[name]
		if !ok {
			continue
		}
		if got := md.Type(k...); got != "" && got != f.tomlType() { // "" is an implicit table
			add(k, func() string { return fmt.Sprintf("%s must be %s, not %s", name, f.what(), describeTOMLType(got)) })
		}
	}
	if len(problems) == 0 {
		return nil
	}
	errs := make([]error, 0, len(problems)+1)
	for _, p := range problems {
		errs = append(errs, errors.New(position(path, keyLine(data, p.key))+p.msg))
	}
	if more > 0 {
		errs = append(errs, fmt.Errorf("%s%d more problems not shown; fix the ones above first", position(path, 0), more))
	}
	return errors.Join(errs...)
}

// maxReported caps the problems reported for one file: each costs a parse to
// find its line, and nobody reads the hundredth.
const maxReported = 20

type keyProblem struct {
	key []string
	msg string
}

func position(path string, line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d: ", path, line)
	}
	return path + ": "
}

// underLeaf reports whether a strict prefix of k is a value key, as in
// "port.x" when port is an integer: the type check of port covers it.
func underLeaf(k []string, byName map[string]field) bool {
	for i := 1; i < len(k); i++ {
		if f, ok := byName[strings.Join(k[:i], ".")]; ok && f.kind != kindTable {
			return true
		}
	}
	return false
}

// suggest names the known key the user most likely meant (see [closest]).
func suggest(k []string) string {
	fields, _ := schema()
	cands := make([]candidate, len(fields))
	for i, f := range fields {
		cands[i] = candidate{name: f.name()}
		if f.kind != kindTable {
			cands[i].tail = "." + f.key[len(f.key)-1]
		}
	}
	return closest(strings.Join(k, "."), ".", cands)
}

// candidate is a name a "did you mean" hint may offer: a dotted key or an
// environment variable.
type candidate struct {
	name string
	// tail is the candidate's last key with the separator before it
	// (".port", "_PORT"); empty for a table, which is never offered as the
	// same key under another table.
	tail string
}

// closest returns the candidate the user most likely meant by name, whose
// parts are joined by sep, or "" when none is close. In this order: the
// candidate equal to name but for case; the one whose last key name ends
// with, that is the same key under another table (the longest such key
// wins, then the first declared); the nearest within two edits. Case is
// ignored throughout: a hint is for a human, and the key file and the
// environment both spell keys in one case only.
func closest(name, sep string, cands []candidate) string {
	lower := strings.ToLower(name)
	tail, tailLen := "", 0
	near, nearDist := "", 3
	for _, c := range cands {
		if strings.EqualFold(c.name, name) {
			return c.name
		}
		if len(c.tail) > tailLen && strings.HasSuffix(sep+lower, strings.ToLower(c.tail)) {
			tail, tailLen = c.name, len(c.tail)
		}
		if d := typo.Distance(strings.ToLower(c.name), lower); d < nearDist {
			near, nearDist = c.name, d
		}
	}
	if tail != "" {
		return tail
	}
	return near
}

func describeTOMLType(t string) string {
	switch t {
	case "Integer":
		return "an integer"
	case "Float":
		return "a float"
	case "Datetime":
		return "a date-time"
	case "String":
		return "a string"
	case "Bool":
		return "a boolean"
	case "Array":
		return "an array"
	case "Hash":
		return "a table"
	case "ArrayHash":
		return "an array of tables"
	}
	return strings.ToLower(t)
}

// lineProbe fails as soon as the decoder reaches it, which makes the decoder
// report the position it recorded for that key.
type lineProbe struct{}

var errProbe = errors.New("probe")

func (*lineProbe) UnmarshalTOML(any) error { return errProbe }

// keyLine returns the line of key in the TOML document data, or 0 when it
// cannot be found.
//
// toml v1.6.0 records the position of every key but exposes it only in the
// ParseError of a failed decode. So the document is decoded once more into a
// struct built for the purpose, holding nothing but the path to key, whose
// last field fails on purpose: the resulting ParseError carries the line.
// This uses the real parser, so multi-line strings, inline tables, quoted
// and dotted keys cannot fool it the way a text search would.
func keyLine(data string, key []string) int {
	t := reflect.TypeFor[lineProbe]()
	for i := len(key) - 1; i >= 0; i-- {
		t = reflect.StructOf([]reflect.StructField{{
			Name: "F",
			Type: t,
			Tag:  reflect.StructTag("toml:" + strconv.Quote(key[i])),
		}})
	}
	_, err := toml.Decode(data, reflect.New(t).Interface())
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return pe.Position.Line
	}
	return 0
}

var mdErrorRe = regexp.MustCompile(`^toml: (?:line (\d+) )?\(last key "([^"]*)"\): (.*)$`)

// syntaxError turns a parse error of the toml package into one that names
// the file and the line, in the form editors and terminals link to.
func syntaxError(path string, err error) error {
	var pe toml.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%ssyntax error: %s", position(path, pe.Position.Line), pe.Message)
	}
	return fmt.Errorf("%s%s", position(path, 0), strings.TrimPrefix(err.Error(), "toml: "))
}

// decodeError turns an error from storing a value (a bad duration, an array
// of the wrong element type) into one that names the file, the line and the
// key, and says what the key must hold.
func decodeError(path, data string, err error) error {
	var key string
	var line int
	var msg string
	var pe toml.ParseError
	if errors.As(err, &pe) {
		key, line, msg = pe.LastKey, pe.Position.Line, pe.Message
	} else if m := mdErrorRe.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
		key, msg = m[2], m[3]
	} else {
		return fmt.Errorf("%s%s", position(path, 0), strings.TrimPrefix(err.Error(), "toml: "))
	}
	_, byName := schema()
	if f, ok := byName[key]; ok {
		if line == 0 {
			line = keyLine(data, f.key)
		}
		if strings.HasPrefix(msg, "incompatible types") || strings.HasPrefix(msg, "type mismatch") {
			return fmt.Errorf("%s%s must be %s", position(path, line), key, f.what())
		}
	}
	return fmt.Errorf("%s%s: %s", position(path, line), key, msg)
}

// applyEnv overrides cfg with the environment variables of prefix and
// returns the dotted names of the keys it set.
func applyEnv(cfg *Config, prefix string) (map[string]bool, error) {
	fields, _ := schema()
	v := reflect.ValueOf(cfg).Elem()
	set := map[string]bool{}
	var errs []error
	for _, f := range fields {
		if f.kind == kindTable {
			continue
		}
		name := envName(prefix, f.key)
		raw, ok := os.LookupEnv(name)
		if !ok || raw == "" {
			continue
		}
		if err := setFromEnv(v.FieldByIndex(f.index), f, raw); err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s: %w", name, err))
			continue
		}
		set[f.name()] = true
	}
	errs = append(errs, unknownEnv(prefix, os.Environ())...)
	return set, errors.Join(errs...)
}

// unknownEnv reports each variable of environ that starts with the prefix
// and a table of the configuration (WEATHER_SERVER_...) but names no key:
// such a variable can only be a misspelt override, which would otherwise be
// ignored without a trace while the same typo in the file is an error.
// Other variables of the prefix (an owner's own WEATHER_API_KEY, the
// WEATHER_SERVICE_HOST of a Kubernetes service link) are none of the
// configuration's business and are left alone. The prefix and the table are
// matched ignoring case, so weather_server_http_port is caught too; an empty
// variable counts as unset, as in [Load].
func unknownEnv(prefix string, environ []string) []error {
	p := normalizePrefix(prefix) + "_"
	fields, _ := schema()
	var tables []string
	known := map[string]bool{}
	cands := make([]candidate, 0, len(fields))
	for _, f := range fields {
		switch {
		case f.kind != kindTable:
			name := envName(prefix, f.key)
			known[name] = true
			cands = append(cands, candidate{name: name, tail: "_" + strings.ToUpper(f.key[len(f.key)-1])})
		case len(f.key) == 1:
			tables = append(tables, f.key[0])
		}
	}
	var names []string
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if value == "" || known[name] {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	var errs []error
	for _, name := range names {
		rest, ok := strings.CutPrefix(strings.ToUpper(name), p)
		if !ok {
			continue
		}
		for _, table := range tables {
			t := strings.ToUpper(table)
			if rest != t && !strings.HasPrefix(rest, t+"_") {
				continue
			}
			msg := fmt.Sprintf("environment variable %s names no key of the [%s] table", name, table)
			if s := closest(name, "_", cands); s != "" {
				msg += " (did you mean " + s + "?)"
			}
			errs = append(errs, fmt.Errorf("%s; correct or unset it (variables starting with %s%s_ are reserved for the [%s] table)", msg, p, strings.ToUpper(table), table))
			break
		}
	}
	return errs
}

// setFromEnv parses raw strictly for the kind of f and stores it in fv. The
// value is used literally: no "$VAR" expansion, ever.
func setFromEnv(fv reflect.Value, f field, raw string) error {
	switch f.kind {
	case kindString:
		fv.SetString(raw)
	case kindInt:
		n, err := strconv.ParseInt(raw, 10, fv.Type().Bits())
		if err != nil {
			return fmt.Errorf("%q is not an integer", raw)
		}
		fv.SetInt(n)
	case kindBool:
		switch strings.ToLower(raw) {
		case "true", "1":
			fv.SetBool(true)
		case "false", "0":
			fv.SetBool(false)
		default:
			return fmt.Errorf("%q is not a boolean; use true or false", raw)
		}
	case kindDuration:
		d, err := parseDuration(raw)
		if err != nil {
			return err
		}
		fv.Set(reflect.ValueOf(Duration{d}))
	case kindStrings:
		items := []string{}
		if strings.HasPrefix(strings.TrimSpace(raw), "[") {
			// A JSON array keeps items that contain commas, such as CEL
			// expressions, intact.
			if err := json.Unmarshal([]byte(raw), &items); err != nil {
				return fmt.Errorf("%q is not a JSON array of strings: %v", raw, err)
			}
			fv.Set(reflect.ValueOf(items))
			return nil
		}
		for _, it := range strings.Split(raw, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		fv.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// normalizePrefix upper-cases prefix and turns dashes into underscores, so a
// server name can be passed as is.
func normalizePrefix(prefix string) string {
	return strings.Trim(strings.ToUpper(strings.ReplaceAll(prefix, "-", "_")), "_")
}

func envName(prefix string, key []string) string {
	return normalizePrefix(prefix) + "_" + strings.ToUpper(strings.Join(key, "_"))
}

// EnvNames returns the environment variable of every configuration value, in
// the order the keys are declared: <PREFIX>_<SECTION>_<KEY>, upper-case, with
// nested tables joined by "_" (WEATHER_SERVER_HTTP_PORT,
// WEATHER_MIDDLEWARE_ACCESS_LOG_REDACT_HEADERS). Lists are comma-separated,
// booleans are true or false, durations are strings such as "30s". An empty
// prefix yields nil, matching [Load], which then reads no environment.
// Any other variable starting with <PREFIX>_<SECTION>_ is refused by [Load].
func EnvNames(envPrefix string) []string {
	if normalizePrefix(envPrefix) == "" {
		return nil
	}
	fields, _ := schema()
	var names []string
	for _, f := range fields {
		if f.kind != kindTable {
			names = append(names, envName(envPrefix, f.key))
		}
	}
	return names
}
