package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	"google.golang.org/protobuf/encoding/protowire"
)

// otlpExporter sends spans to an OTLP/HTTP endpoint in the protobuf
// encoding, configured by the standard variables. It is written here rather
// than taken from OpenTelemetry's exporter modules, whose generated OTLP
// packages link gRPC and its protobuf registry into the server: megabytes
// of binary and of resident memory for every server, traced or not.
type otlpExporter struct {
	url     string
	headers http.Header
	gzip    bool
	otlpClient
}

// otlpClient is the part both OTLP exporters share: their HTTP client, and
// whether they were shut down.
type otlpClient struct {
	client *http.Client

	mu      sync.Mutex
	stopped bool

	encMu sync.Mutex
	enc   spanEncoder
	spare []byte // a request's buffer the transport is done with
}

// encode appends spans to dst as one ExportTraceServiceRequest, in buffers
// kept from export to export: the batches of a busy server are each a few
// hundred kilobytes, which a new buffer would take from the system page by
// page.
func (c *otlpClient) encode(dst []byte, spans []spanRecord) []byte {
	c.encMu.Lock()
	defer c.encMu.Unlock()
	return c.enc.encodeRequest(dst, spans)
}

// takeSpare is a buffer for the next request, the last one's if it can be
// reused.
func (c *otlpClient) takeSpare() []byte {
	c.encMu.Lock()
	defer c.encMu.Unlock()
	b := c.spare
	c.spare = nil
	return b[:0]
}

// putSpare keeps b for the next request.
func (c *otlpClient) putSpare(b []byte) {
	c.encMu.Lock()
	defer c.encMu.Unlock()
	c.spare = b
}

// exportBody is the body of one export request, and of the copies of it
// the transport may ask for (http.Request.GetBody); its bytes can be
// reused once the transport has closed all of them, which an
// http.RoundTripper may do after RoundTrip returns.
type exportBody struct {
	b    []byte
	open atomic.Int32
}

// reader is a new reader of the body.
func (x *exportBody) reader() io.ReadCloser {
	x.open.Add(1)
	return &exportBodyReader{Reader: bytes.NewReader(x.b), x: x}
}

// done reports whether the transport has closed every reader of the body.
func (x *exportBody) done() bool { return x.open.Load() == 0 }

type exportBodyReader struct {
	*bytes.Reader
	x    *exportBody
	once sync.Once
}

func (r *exportBodyReader) Close() error {
	r.once.Do(func() { r.x.open.Add(-1) })
	return nil
}

// isStopped reports whether Shutdown was called.
func (c *otlpClient) isStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

// Shutdown makes later exports do nothing (spanExporter).
func (c *otlpClient) Shutdown(context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.client.CloseIdleConnections()
	return nil
}

// otlpTimeout is the time one export may take unless OTEL_EXPORTER_OTLP_TIMEOUT
// says otherwise, the specification's default.
const otlpTimeout = 10 * time.Second

// otlpSettings are what both OTLP exporters read from the
// OTEL_EXPORTER_OTLP_* variables besides the endpoint.
type otlpSettings struct {
	headers http.Header
	gzip    bool
	timeout time.Duration
}

// otlpVar reads OTEL_EXPORTER_OTLP_TRACES_<name>, or else
// OTEL_EXPORTER_OTLP_<name>.
func otlpVar(env func(string) string, name string) string {
	if v := strings.TrimSpace(env("OTEL_EXPORTER_OTLP_TRACES_" + name)); v != "" {
		return v
	}
	return strings.TrimSpace(env("OTEL_EXPORTER_OTLP_" + name))
}

// readOTLPSettings reads the headers, the compression (gzip or none) and
// the timeout in milliseconds, the TRACES_ variants winning.
func readOTLPSettings(env func(string) string) (otlpSettings, error) {
	s := otlpSettings{headers: http.Header{}, timeout: otlpTimeout}
	if h := otlpVar(env, "HEADERS"); h != "" {
		for _, kv := range strings.Split(h, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k = strings.TrimSpace(k)
			if !ok || k == "" {
				return s, fmt.Errorf("OTEL_EXPORTER_OTLP_HEADERS entry %q is not key=value", kv)
			}
			if dv, err := url.QueryUnescape(strings.TrimSpace(v)); err == nil {
				v = dv
			}
			s.headers.Add(k, strings.TrimSpace(v))
		}
	}
	switch c := otlpVar(env, "COMPRESSION"); c {
	case "", "none":
	case "gzip":
		s.gzip = true
	default:
		return s, fmt.Errorf("OTLP compression %q is not supported; use gzip or none", c)
	}
	if t := otlpVar(env, "TIMEOUT"); t != "" {
		ms, err := strconv.Atoi(t)
		if err != nil || ms <= 0 {
			return s, fmt.Errorf("OTEL_EXPORTER_OTLP_TIMEOUT %q is not a positive number of milliseconds", t)
		}
		s.timeout = time.Duration(ms) * time.Millisecond
	}
	return s, nil
}

// gzipped is b compressed with gzip.
func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	_, _ = zw.Write(b) // a bytes.Buffer does not fail
	_ = zw.Close()
	return out.Bytes()
}

// newOTLPExporter reads the OTEL_EXPORTER_OTLP_* variables: the endpoint
// (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, or OTEL_EXPORTER_OTLP_ENDPOINT
// with /v1/traces appended) and [otlpSettings].
func newOTLPExporter(env func(string) string) (*otlpExporter, error) {
	endpoint := strings.TrimSpace(env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
	if endpoint == "" {
		if base := strings.TrimSpace(env("OTEL_EXPORTER_OTLP_ENDPOINT")); base != "" {
			endpoint = strings.TrimRight(base, "/") + "/v1/traces"
		}
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("OTLP endpoint %q is not an http or https URL, such as http://otel-collector:4318", endpoint)
	}
	s, err := readOTLPSettings(env)
	if err != nil {
		return nil, err
	}
	return &otlpExporter{url: endpoint, headers: s.headers, gzip: s.gzip, otlpClient: otlpClient{client: &http.Client{Timeout: s.timeout}}}, nil
}

// ExportSpans sends spans in one request (spanExporter).
func (e *otlpExporter) ExportSpans(ctx context.Context, spans []spanRecord) error {
	if e.isStopped() || len(spans) == 0 {
		return nil
	}
	encoded := e.encode(e.takeSpare(), spans)
	body := &exportBody{b: encoded}
	if e.gzip {
		body.b = gzipped(encoded)
		e.putSpare(encoded)
	} else {
		defer func() {
			if body.done() {
				e.putSpare(encoded)
			}
		}()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, body.reader())
	if err != nil {
		return err
	}
	req.ContentLength = int64(len(body.b))
	req.GetBody = func() (io.ReadCloser, error) { return body.reader(), nil }
	for k, v := range e.headers {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	if e.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("OTLP export to %s: %w", e.url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("OTLP export to %s: %s", e.url, resp.Status)
	}
	return nil
}

// Field numbers of the OTLP protobuf messages
// (opentelemetry/proto/collector/trace/v1 and trace/v1, common/v1,
// resource/v1).
const (
	fieldRequestResourceSpans = 1 // ExportTraceServiceRequest.resource_spans

	fieldResourceSpansResource = 1
	fieldResourceSpansScope    = 2
	fieldResourceSpansSchema   = 3

	fieldResourceAttributes = 1

	fieldScopeSpansScope  = 1
	fieldScopeSpansSpans  = 2
	fieldScopeSpansSchema = 3

	fieldScopeName    = 1
	fieldScopeVersion = 2

	fieldSpanTraceID       = 1
	fieldSpanSpanID        = 2
	fieldSpanTraceState    = 3
	fieldSpanParentSpanID  = 4
	fieldSpanName          = 5
	fieldSpanKind          = 6
	fieldSpanStart         = 7
	fieldSpanEnd           = 8
	fieldSpanAttributes    = 9
	fieldSpanDroppedAttrs  = 10
	fieldSpanEvents        = 11
	fieldSpanDroppedEvents = 12
	fieldSpanLinks         = 13
	fieldSpanDroppedLinks  = 14
	fieldSpanStatus        = 15
	fieldSpanFlags         = 16

	fieldEventTime       = 1
	fieldEventName       = 2
	fieldEventAttributes = 3
	fieldEventDropped    = 4

	fieldLinkTraceID    = 1
	fieldLinkSpanID     = 2
	fieldLinkTraceState = 3
	fieldLinkAttributes = 4
	fieldLinkDropped    = 5

	fieldStatusMessage = 2
	fieldStatusCode    = 3

	fieldKeyValueKey   = 1
	fieldKeyValueValue = 2

	fieldAnyString = 1
	fieldAnyBool   = 2
	fieldAnyInt    = 3
	fieldAnyDouble = 4
	fieldAnyArray  = 5

	fieldArrayValues = 1
)

// OTLP's Status.code: its numbers are not those of codes.Code.
const (
	otlpStatusOK    = 1
	otlpStatusError = 2
)

// encodeRequest appends to out an ExportTraceServiceRequest holding
// spans, grouped by resource and instrumentation scope in their order. The
// buffers of e are kept for the next request.
func (e *spanEncoder) encodeRequest(out []byte, spans []spanRecord) []byte {
	type scopeGroup struct {
		scope instrumentation.Scope
		spans []spanRecord
	}
	type resourceGroup struct {
		res    *resource.Resource
		scopes []*scopeGroup
	}
	var groups []*resourceGroup
	for _, s := range spans {
		var rg *resourceGroup
		for _, g := range groups {
			if g.res == s.Resource() {
				rg = g
			}
		}
		if rg == nil {
			rg = &resourceGroup{res: s.Resource()}
			groups = append(groups, rg)
		}
		var sg *scopeGroup
		scope := s.InstrumentationScope()
		for _, g := range rg.scopes {
			if g.scope.Name == scope.Name && g.scope.Version == scope.Version && g.scope.SchemaURL == scope.SchemaURL {
				sg = g
			}
		}
		if sg == nil {
			sg = &scopeGroup{scope: scope}
			rg.scopes = append(rg.scopes, sg)
		}
		sg.spans = append(sg.spans, s)
	}

	// The spans are encoded once, into their ScopeSpans, and copied once
	// more into the request: the enclosing messages' lengths are computed,
	// not encoded into buffers of their own.
	for _, rg := range groups {
		var head, tail []byte // ResourceSpans' fields before and after its scopes
		if rg.res != nil {
			var r []byte
			for _, kv := range rg.res.Attributes() {
				r = e.appendAttribute(r, fieldResourceAttributes, kv)
			}
			head = appendMessage(head, fieldResourceSpansResource, r)
			tail = appendString(tail, fieldResourceSpansSchema, rg.res.SchemaURL())
		}
		for len(e.scopes) < len(rg.scopes) {
			e.scopes = append(e.scopes, nil)
		}
		scopes := e.scopes[:len(rg.scopes)]
		size := len(head) + len(tail)
		for i, sg := range rg.scopes {
			var sc []byte
			sc = appendString(sc, fieldScopeName, sg.scope.Name)
			sc = appendString(sc, fieldScopeVersion, sg.scope.Version)
			ss := scopes[i][:0]
			for j, s := range sg.spans {
				span := e.encodeSpan(s)
				if j == 0 {
					// Room for spans the size of the first, and some.
					ss = slices.Grow(ss, 64+len(sc)+len(sg.spans)*(len(span)+len(span)/8+4))
					ss = appendMessage(ss, fieldScopeSpansScope, sc)
				}
				ss = appendMessage(ss, fieldScopeSpansSpans, span)
			}
			ss = appendString(ss, fieldScopeSpansSchema, sg.scope.SchemaURL)
			scopes[i] = ss
			size += protowire.SizeTag(fieldResourceSpansScope) + protowire.SizeBytes(len(ss))
		}
		out = slices.Grow(out, size+16)
		out = protowire.AppendTag(out, fieldRequestResourceSpans, protowire.BytesType)
		out = protowire.AppendVarint(out, uint64(size))
		out = append(out, head...)
		for _, ss := range scopes {
			out = appendMessage(out, fieldResourceSpansScope, ss)
		}
		out = append(out, tail...)
	}
	return out
}

// spanEncoder holds the buffers of the messages a span nests, reused from
// span to span: an export encodes hundreds of spans of a few attributes
// each; and those of a request's ScopeSpans, reused from request to
// request by an exporter (otlpClient.encode).
type spanEncoder struct {
	span, kv, any []byte
	scopes        [][]byte
}

// appendAttribute appends an attribute as the KeyValue field of b.
func (e *spanEncoder) appendAttribute(b []byte, field protowire.Number, kv attribute.KeyValue) []byte {
	if kv.Value.Type() == attribute.STRING {
		return appendStringAttribute(b, field, string(kv.Key), kv.Value.AsString())
	}
	e.any = appendAnyValue(e.any[:0], kv.Value)
	e.kv = appendString(e.kv[:0], fieldKeyValueKey, string(kv.Key))
	e.kv = appendMessage(e.kv, fieldKeyValueValue, e.any)
	return appendMessage(b, field, e.kv)
}

// appendStringAttribute appends a string attribute as the KeyValue field
// of b, the usual attribute, written in place: its lengths are known before
// its bytes.
func appendStringAttribute(b []byte, field protowire.Number, key, v string) []byte {
	anyLen := protowire.SizeTag(fieldAnyString) + protowire.SizeBytes(len(v))
	kvLen := anyLen + protowire.SizeTag(fieldKeyValueValue) + protowire.SizeVarint(uint64(anyLen))
	if key != "" {
		kvLen += protowire.SizeTag(fieldKeyValueKey) + protowire.SizeBytes(len(key))
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(kvLen))
	b = appendString(b, fieldKeyValueKey, key)
	b = protowire.AppendTag(b, fieldKeyValueValue, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(anyLen))
	b = protowire.AppendTag(b, fieldAnyString, protowire.BytesType)
	return protowire.AppendString(b, v)
}

// encodeSpan encodes one Span message, valid until the next call.
func (e *spanEncoder) encodeSpan(s spanRecord) []byte {
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	b := e.span[:0]
	defer func() { e.span = b }()
	b = appendBytes(b, fieldSpanTraceID, tid[:])
	b = appendBytes(b, fieldSpanSpanID, sid[:])
	b = appendString(b, fieldSpanTraceState, sc.TraceState().String())
	if p := s.Parent(); p.SpanID().IsValid() {
		psid := p.SpanID()
		b = appendBytes(b, fieldSpanParentSpanID, psid[:])
	}
	b = appendString(b, fieldSpanName, s.Name())
	if k := s.SpanKind(); k != 0 {
		// trace.SpanKind and OTLP's SpanKind share their numbers.
		b = protowire.AppendTag(b, fieldSpanKind, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(k))
	}
	b = appendFixed64(b, fieldSpanStart, uint64(s.StartTime().UnixNano()))
	b = appendFixed64(b, fieldSpanEnd, uint64(s.EndTime().UnixNano()))
	var dropped int
	if rs, ok := s.(*requestSpan); ok && rs.shape != nil && rs.shape.encoded != nil && len(rs.added().attrs) == 0 && rs.added().droppedAttrs == 0 {
		// The server's attributes only, within the limits: those of its
		// shape as encoded once, and the request's own.
		b = append(b, rs.shape.encoded...)
		if rs.sessionID != "" {
			b = appendStringAttribute(b, fieldSpanAttributes, "mcp.session.id", rs.sessionID)
		}
		if rs.requestID != "" {
			b = appendStringAttribute(b, fieldSpanAttributes, "jsonrpc.request.id", rs.requestID)
		}
	} else if ok {
		// The server's attributes, written from its strings.
		over := rs.eachAttribute(func(kv attribute.KeyValue) {
			b = e.appendAttribute(b, fieldSpanAttributes, kv)
		}, func(k, v string) {
			b = appendStringAttribute(b, fieldSpanAttributes, k, v)
		})
		dropped = rs.added().droppedAttrs + over
	} else {
		for _, kv := range s.Attributes() {
			b = e.appendAttribute(b, fieldSpanAttributes, kv)
		}
		dropped = s.DroppedAttributes()
	}
	b = appendCount(b, fieldSpanDroppedAttrs, dropped)
	for _, ev := range s.Events() {
		var eb []byte
		eb = appendFixed64(eb, fieldEventTime, uint64(ev.Time.UnixNano()))
		eb = appendString(eb, fieldEventName, ev.Name)
		for _, kv := range ev.Attributes {
			eb = e.appendAttribute(eb, fieldEventAttributes, kv)
		}
		eb = appendCount(eb, fieldEventDropped, ev.DroppedAttributeCount)
		b = appendMessage(b, fieldSpanEvents, eb)
	}
	b = appendCount(b, fieldSpanDroppedEvents, s.DroppedEvents())
	for _, l := range s.Links() {
		ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
		var lb []byte
		lb = appendBytes(lb, fieldLinkTraceID, ltid[:])
		lb = appendBytes(lb, fieldLinkSpanID, lsid[:])
		lb = appendString(lb, fieldLinkTraceState, l.SpanContext.TraceState().String())
		for _, kv := range l.Attributes {
			lb = e.appendAttribute(lb, fieldLinkAttributes, kv)
		}
		lb = appendCount(lb, fieldLinkDropped, l.DroppedAttributeCount)
		b = appendMessage(b, fieldSpanLinks, lb)
	}
	b = appendCount(b, fieldSpanDroppedLinks, s.DroppedLinks())
	if st := s.Status(); st.Code != codes.Unset {
		var sb []byte
		sb = appendString(sb, fieldStatusMessage, st.Description)
		code := uint64(otlpStatusOK)
		if st.Code == codes.Error {
			code = otlpStatusError
		}
		sb = protowire.AppendTag(sb, fieldStatusCode, protowire.VarintType)
		sb = protowire.AppendVarint(sb, code)
		b = appendMessage(b, fieldSpanStatus, sb)
	}
	// W3C trace flags in the low byte, as OTLP's flags field says.
	b = protowire.AppendTag(b, fieldSpanFlags, protowire.Fixed32Type)
	b = protowire.AppendFixed32(b, uint32(sc.TraceFlags()))
	return b
}

// appendAnyValue appends the fields of an AnyValue message.
func appendAnyValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.BOOL:
		b = protowire.AppendTag(b, fieldAnyBool, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		b = protowire.AppendTag(b, fieldAnyInt, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		b = appendDouble(b, fieldAnyDouble, v.AsFloat64())
	case attribute.BOOLSLICE:
		b = appendArray(b, v.AsBoolSlice(), attribute.BoolValue)
	case attribute.INT64SLICE:
		b = appendArray(b, v.AsInt64Slice(), attribute.Int64Value)
	case attribute.FLOAT64SLICE:
		b = appendArray(b, v.AsFloat64Slice(), attribute.Float64Value)
	case attribute.STRINGSLICE:
		b = appendArray(b, v.AsStringSlice(), attribute.StringValue)
	default:
		// A string, or anything newer, as its text.
		b = protowire.AppendTag(b, fieldAnyString, protowire.BytesType)
		b = protowire.AppendString(b, v.String())
	}
	return b
}

// appendArray appends an ArrayValue field holding xs.
func appendArray[T any](b []byte, xs []T, value func(T) attribute.Value) []byte {
	var arr []byte
	for _, x := range xs {
		arr = appendMessage(arr, fieldArrayValues, appendAnyValue(nil, value(x)))
	}
	return appendMessage(b, fieldAnyArray, arr)
}

// appendString appends a string field, nothing for "" (proto3's default).
func appendString(b []byte, field protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, field protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

// appendCount appends a count field, nothing for 0 (proto3's default).
func appendCount(b []byte, field protowire.Number, n int) []byte {
	if n <= 0 {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(n))
}

// appendMessage appends an embedded message field holding the encoded msg.
func appendMessage(b []byte, field protowire.Number, msg []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, msg)
}

func appendFixed64(b []byte, field protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, field, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, v)
}

func appendDouble(b []byte, field protowire.Number, v float64) []byte {
	b = protowire.AppendTag(b, field, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, math.Float64bits(v))
}
