package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
)

// otlpGRPCExporter sends spans to an OTLP/gRPC endpoint: the unary call
// TraceService/Export spoken over net/http's HTTP/2 (with prior knowledge
// for http://, with TLS and ALPN h2 for https://) rather than through
// google.golang.org/grpc, which would add megabytes of binary and of
// resident memory to every server for one call of one method.
type otlpGRPCExporter struct {
	url      string // the endpoint's scheme and host, and the method's path
	settings otlpSettings
	otlpClient
}

// otlpGRPCMethod is the path of the Export call of the OTLP trace service.
const otlpGRPCMethod = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"

// otlpGRPCResponseLimit bounds what is read of a collector's answer, an
// ExportTraceServiceResponse of a few bytes.
const otlpGRPCResponseLimit = 1 << 20

// newOTLPGRPCExporter reads the OTEL_EXPORTER_OTLP_* variables for gRPC:
// the endpoint (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else
// OTEL_EXPORTER_OTLP_ENDPOINT, both taken as is) is a host and port, with
// http:// for plain text or https:// for TLS, or without a scheme TLS
// unless OTEL_EXPORTER_OTLP_INSECURE is true; and [otlpSettings].
func newOTLPGRPCExporter(env func(string) string) (*otlpGRPCExporter, error) {
	endpoint := strings.TrimSpace(env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
	if endpoint == "" {
		endpoint = strings.TrimSpace(env("OTEL_EXPORTER_OTLP_ENDPOINT"))
	}
	raw := endpoint
	if !strings.Contains(endpoint, "://") {
		scheme := "https://"
		switch insecure := strings.ToLower(otlpVar(env, "INSECURE")); insecure {
		case "true":
			scheme = "http://"
		case "", "false":
		default:
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_INSECURE %q is neither true nor false", insecure)
		}
		endpoint = scheme + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("OTLP/gRPC endpoint %q is not a host:port, optionally with http:// or https://, such as http://otel-collector:4317", raw)
	}
	s, err := readOTLPSettings(env)
	if err != nil {
		return nil, err
	}
	var protocols http.Protocols
	if u.Scheme == "https" {
		protocols.SetHTTP2(true)
	} else {
		protocols.SetUnencryptedHTTP2(true)
	}
	return &otlpGRPCExporter{
		url:      u.Scheme + "://" + u.Host + otlpGRPCMethod,
		settings: s,
		otlpClient: otlpClient{client: &http.Client{Transport: &http.Transport{
			Protocols:           &protocols,
			ForceAttemptHTTP2:   true,
			TLSHandshakeTimeout: s.timeout,
			IdleConnTimeout:     5 * time.Minute,
		}}},
	}, nil
}

// grpcError is a call that ended with a gRPC status other than OK.
type grpcError struct {
	code    int
	message string
	// retryDelay is the delay a RetryInfo in the status details asks for,
	// 0 when there is none.
	retryDelay time.Duration
}

// gRPC status codes, as google.golang.org/grpc/codes numbers them.
const (
	grpcOK                = 0
	grpcCancelled         = 1
	grpcUnknown           = 2
	grpcDeadlineExceeded  = 4
	grpcPermissionDenied  = 7
	grpcResourceExhausted = 8
	grpcAborted           = 10
	grpcOutOfRange        = 11
	grpcUnimplemented     = 12
	grpcInternal          = 13
	grpcUnavailable       = 14
	grpcDataLoss          = 15
	grpcUnauthenticated   = 16
	grpcCodeNames         = "OK CANCELLED UNKNOWN INVALID_ARGUMENT DEADLINE_EXCEEDED NOT_FOUND ALREADY_EXISTS PERMISSION_DENIED RESOURCE_EXHAUSTED FAILED_PRECONDITION ABORTED OUT_OF_RANGE UNIMPLEMENTED INTERNAL UNAVAILABLE DATA_LOSS UNAUTHENTICATED"
)

// The delays between attempts of an export: doubling from the first to
// the last, unless the collector says how long to wait.
const (
	grpcInitialRetryDelay = 100 * time.Millisecond
	grpcMaxRetryDelay     = 5 * time.Second
)

func (e *grpcError) Error() string {
	name := "code " + strconv.Itoa(e.code)
	if names := strings.Fields(grpcCodeNames); e.code >= 0 && e.code < len(names) {
		name = names[e.code]
	}
	if e.message == "" {
		return name
	}
	return name + ": " + e.message
}

// retryable reports whether the OTLP specification says to send the same
// request again after this status: a collector busy, restarting or out of
// memory for now, as opposed to a request it will never take.
func (e *grpcError) retryable() bool {
	switch e.code {
	case grpcCancelled, grpcDeadlineExceeded, grpcAborted, grpcOutOfRange, grpcUnavailable, grpcDataLoss:
		return true
	case grpcResourceExhausted:
		// Only when the collector says when to come back: without
		// RetryInfo it is a limit that retrying does not lift.
		return e.retryDelay > 0
	}
	return false
}

// ExportSpans sends spans in one Export call, sent again after a retryable
// status until the export's time is up (spanExporter).
func (e *otlpGRPCExporter) ExportSpans(ctx context.Context, spans []spanRecord) error {
	if e.isStopped() || len(spans) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, e.settings.timeout)
	defer cancel()
	// The length-prefixed message of gRPC's framing.
	body := e.encode(make([]byte, 5), spans)
	if e.settings.gzip {
		msg := gzipped(body[5:])
		body = append(body[:5], msg...)
		body[0] = 1
	}
	binary.BigEndian.PutUint32(body[1:], uint32(len(body)-5))

	delay := grpcInitialRetryDelay
	for attempt := 1; ; attempt++ {
		err := e.export(ctx, body)
		var ge *grpcError
		if err == nil || !errors.As(err, &ge) || !ge.retryable() {
			return e.wrap(err, attempt)
		}
		wait := delay
		if ge.retryDelay > 0 {
			wait = ge.retryDelay
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return e.wrap(err, attempt)
		}
		select {
		case <-ctx.Done():
			return e.wrap(err, attempt)
		case <-time.After(wait):
		}
		delay = min(2*delay, grpcMaxRetryDelay)
	}
}

// wrap names the endpoint and the attempts in err.
func (e *otlpGRPCExporter) wrap(err error, attempts int) error {
	if err == nil {
		return nil
	}
	target := strings.TrimSuffix(e.url, otlpGRPCMethod)
	if attempts > 1 {
		return fmt.Errorf("OTLP/gRPC export to %s, %d attempts: %w", target, attempts, err)
	}
	return fmt.Errorf("OTLP/gRPC export to %s: %w", target, err)
}

// export makes one Export call with body, a framed request.
func (e *otlpGRPCExporter) export(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range e.settings.headers {
		// gRPC metadata keys are lower case; HTTP/2 sends them so anyway.
		req.Header[strings.ToLower(k)] = v
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	req.Header.Set("User-Agent", "mcpforge-otlp-grpc")
	req.Header.Set("Grpc-Accept-Encoding", "gzip")
	if e.settings.gzip {
		req.Header.Set("Grpc-Encoding", "gzip")
	}
	if deadline, ok := ctx.Deadline(); ok {
		// The collector stops working on a call nobody waits for.
		req.Header.Set("Grpc-Timeout", strconv.FormatInt(max(time.Until(deadline).Milliseconds(), 1), 10)+"m")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return &grpcError{code: grpcDeadlineExceeded, message: err.Error()}
		}
		// No connection: the collector may be starting.
		return &grpcError{code: grpcUnavailable, message: err.Error()}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return &grpcError{code: grpcCodeOfHTTP(resp.StatusCode), message: "HTTP status " + resp.Status}
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/grpc") {
		return &grpcError{code: grpcUnknown, message: fmt.Sprintf("the answer is %q, not application/grpc: is this an OTLP/gRPC endpoint (port 4317)?", ct)}
	}
	// A trailers-only answer carries its status in the headers.
	if st := statusOf(resp.Header); st != nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return st.err()
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, otlpGRPCResponseLimit))
	if err != nil {
		return &grpcError{code: grpcUnavailable, message: "reading the answer: " + err.Error()}
	}
	st := statusOf(resp.Trailer)
	if st == nil {
		return &grpcError{code: grpcInternal, message: "the answer has no grpc-status"}
	}
	if err := st.err(); err != nil {
		return err
	}
	return partialSuccess(data, resp.Header.Get("Grpc-Encoding"))
}

// grpcCodeOfHTTP is the status of an HTTP answer without gRPC status, as
// gRPC's HTTP to gRPC status mapping says.
func grpcCodeOfHTTP(status int) int {
	switch status {
	case http.StatusBadRequest:
		return grpcInternal
	case http.StatusUnauthorized:
		return grpcUnauthenticated
	case http.StatusForbidden:
		return grpcPermissionDenied
	case http.StatusNotFound:
		return grpcUnimplemented
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return grpcUnavailable
	}
	return grpcUnknown
}

// grpcStatus is the grpc-status, grpc-message and grpc-status-details-bin
// of an answer.
type grpcStatus struct {
	code    int
	message string
	details string
}

// statusOf reads the status in h, nil when h has none.
func statusOf(h http.Header) *grpcStatus {
	v := h.Get("Grpc-Status")
	if v == "" {
		return nil
	}
	code, err := strconv.Atoi(v)
	if err != nil {
		code = grpcUnknown
	}
	msg := h.Get("Grpc-Message")
	// gRPC percent-encodes the message.
	if m, err := url.PathUnescape(msg); err == nil {
		msg = m
	}
	return &grpcStatus{code: code, message: msg, details: h.Get("Grpc-Status-Details-Bin")}
}

// err is the status as an error, nil for OK.
func (s *grpcStatus) err() error {
	if s.code == grpcOK {
		return nil
	}
	return &grpcError{code: s.code, message: s.message, retryDelay: retryDelay(s.details)}
}

// retryDelay is the delay of the google.rpc.RetryInfo among the details of
// a google.rpc.Status, encoded in base64 as grpc-status-details-bin; 0 when
// there is none.
func retryDelay(details string) time.Duration {
	if details == "" {
		return 0
	}
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(details, "="))
	if err != nil {
		return 0
	}
	var delay time.Duration
	eachField(b, func(num protowire.Number, _ uint64, detail []byte) {
		if num != fieldStatusDetails {
			return
		}
		var typeURL string
		var value []byte
		eachField(detail, func(num protowire.Number, _ uint64, v []byte) {
			switch num {
			case fieldAnyTypeURL:
				typeURL = string(v)
			case fieldAnyValue:
				value = v
			}
		})
		if !strings.HasSuffix(typeURL, "/google.rpc.RetryInfo") {
			return
		}
		eachField(value, func(num protowire.Number, _ uint64, d []byte) {
			if num != fieldRetryInfoDelay {
				return
			}
			var seconds, nanos uint64
			eachField(d, func(num protowire.Number, v uint64, _ []byte) {
				switch num {
				case fieldDurationSeconds:
					seconds = v
				case fieldDurationNanos:
					nanos = v
				}
			})
			// Negative values come as huge varints: beyond an hour, a
			// delay is no delay the exporter can wait.
			if seconds <= uint64(time.Hour/time.Second) && nanos < uint64(time.Second) {
				delay = time.Duration(seconds)*time.Second + time.Duration(nanos)
			}
		})
	})
	return delay
}

// Field numbers of the messages an answer carries: google.rpc.Status,
// google.protobuf.Any, google.rpc.RetryInfo, google.protobuf.Duration and
// OTLP's ExportTraceServiceResponse and ExportTracePartialSuccess.
const (
	fieldStatusDetails        = 3
	fieldAnyTypeURL           = 1
	fieldAnyValue             = 2
	fieldRetryInfoDelay       = 1
	fieldDurationSeconds      = 1
	fieldDurationNanos        = 2
	fieldResponsePartial      = 1
	fieldPartialRejectedSpans = 1
	fieldPartialErrorMessage  = 2
)

// eachField calls f with every varint field (v) and length-delimited field
// (b) of the message msg, skipping the others; it stops at the first
// malformed field.
func eachField(msg []byte, f func(num protowire.Number, v uint64, b []byte)) {
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return
		}
		msg = msg[n:]
		switch typ {
		case protowire.VarintType:
			v, m := protowire.ConsumeVarint(msg)
			if m < 0 {
				return
			}
			f(num, v, nil)
			n = m
		case protowire.BytesType:
			b, m := protowire.ConsumeBytes(msg)
			if m < 0 {
				return
			}
			f(num, 0, b)
			n = m
		default:
			if n = protowire.ConsumeFieldValue(num, typ, msg); n < 0 {
				return
			}
		}
		msg = msg[n:]
	}
}

// partialSuccess reads the ExportTraceServiceResponse in data, a framed
// message compressed with encoding when its flag says so: an error when
// the collector rejected spans or warns (its partial_success).
func partialSuccess(data []byte, encoding string) error {
	if len(data) < 5 {
		return nil // no message: collectors answer a full success so too
	}
	n := binary.BigEndian.Uint32(data[1:5])
	msg := data[5:]
	if uint64(len(msg)) < uint64(n) {
		return &grpcError{code: grpcInternal, message: "the answer is cut short"}
	}
	msg = msg[:n]
	if data[0] == 1 {
		if encoding != "gzip" {
			return &grpcError{code: grpcInternal, message: fmt.Sprintf("the answer is compressed with %q, which this exporter does not read", encoding)}
		}
		zr, err := gzip.NewReader(bytes.NewReader(msg))
		if err == nil {
			msg, err = io.ReadAll(io.LimitReader(zr, otlpGRPCResponseLimit))
		}
		if err != nil {
			return &grpcError{code: grpcInternal, message: "the answer's gzip: " + err.Error()}
		}
	}
	var rejected uint64
	var message string
	eachField(msg, func(num protowire.Number, _ uint64, ps []byte) {
		if num != fieldResponsePartial {
			return
		}
		eachField(ps, func(num protowire.Number, v uint64, b []byte) {
			switch num {
			case fieldPartialRejectedSpans:
				rejected = v
			case fieldPartialErrorMessage:
				message = string(b)
			}
		})
	})
	switch {
	case rejected > 0:
		return fmt.Errorf("the collector rejected %d spans: %s", rejected, message)
	case message != "":
		return fmt.Errorf("the collector accepted the spans with a warning: %s", message)
	}
	return nil
}

// Shutdown makes later exports do nothing (spanExporter).
func (e *otlpGRPCExporter) Shutdown(context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.stopped = true
	e.client.CloseIdleConnections()
	return nil
}
