package telemetry

import (
	"strconv"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// Names of the metrics: the OpenTelemetry semantic conventions' names in
// their Prometheus form where a convention exists.
const (
	MetricOperationDuration = "mcp_server_operation_duration_seconds"
	MetricSessionDuration   = "mcp_server_session_duration_seconds"
	MetricHTTPDuration      = "http_server_request_duration_seconds"
	MetricAuthFailures      = "mcp_server_auth_failures_total"
	MetricJWKSFetches       = "mcp_server_jwks_fetches_total"
	MetricRelayFetches      = "mcp_server_oauth_metadata_fetches_total"
	MetricBuildInfo         = "mcp_server_build_info"
)

// Other is the label value of anything the server does not know: an
// unregistered tool or prompt, an unknown method or protocol version.
const Other = "_OTHER"

// ToolError is the error_type of a tools/call whose result has isError.
const ToolError = "tool_error"

// durationBuckets are the bucket boundaries, in seconds, that the MCP
// semantic conventions give mcp.server.operation.duration and
// mcp.server.session.duration.
var durationBuckets = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300}

// httpBuckets are those of the HTTP semantic conventions for
// http.server.request.duration.
var httpBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// operationLabels are the labels of MetricOperationDuration, in order.
var operationLabels = []string{"mcp_method_name", "gen_ai_tool_name", "gen_ai_prompt_name", "error_type", "mcp_protocol_version", "network_transport"}

// metrics holds the families. A series is resolved once per label
// combination (see [family.with]), so that recording a call is a map
// lookup and atomic adds, with no allocation.
type metrics struct {
	operation    *family
	session      *family
	httpDuration *family
	authFailures *family
	jwksFetches  *family
	relayFetches *family
}

// operationKey is one label combination of MetricOperationDuration; every
// field is already bounded (see [operation.key]).
type operationKey struct {
	method, tool, prompt, errorType, protocol, transport string
}

// labels are the values of k in the order of operationLabels.
func (k operationKey) labels() labelValues {
	return labelValues{k.method, k.tool, k.prompt, k.errorType, k.protocol, k.transport}
}

func newMetrics(reg *registry, service, version string) *metrics {
	m := &metrics{
		operation: newFamily(MetricOperationDuration,
			"MCP request duration as observed on the server, from the time it was received until the result was sent.",
			kindHistogram, operationLabels, durationBuckets),
		session: newFamily(MetricSessionDuration,
			"The duration of the MCP sessions that ended, as observed on the server.",
			kindHistogram, []string{"mcp_protocol_version", "network_transport"}, durationBuckets),
		httpDuration: newFamily(MetricHTTPDuration,
			"Duration of HTTP server requests (of a stream: until it closed).",
			kindHistogram, []string{"http_request_method", "http_route", "http_response_status_code"}, httpBuckets),
		authFailures: newFamily(MetricAuthFailures,
			"Requests refused by authentication or authorization, by reason.",
			kindCounter, []string{"reason"}, nil),
		jwksFetches: newFamily(MetricJWKSFetches,
			"Fetches of the JWKS, by result (ok or error).",
			kindCounter, []string{"result"}, nil),
		relayFetches: newFamily(MetricRelayFetches,
			"Fetches of the authorization server metadata relayed to clients, by result (ok or error).",
			kindCounter, []string{"result"}, nil),
	}
	buildInfo := newFamily(MetricBuildInfo,
		"Always 1: the name and version of the server and the Go version it was built with.",
		kindGauge, []string{"service_name", "service_version", "go_version"}, nil)
	buildInfo.with(labelValues{service, version, goVersion()}).set(1)

	reg.add(m.operation, m.session, m.httpDuration, m.authFailures, m.jwksFetches, m.relayFetches, buildInfo)
	reg.collect = append(reg.collect, writeGoMetrics, writeProcessMetrics)
	// The reasons and results exist from the start, at 0, so that rate()
	// and the dashboard see a series before the first failure.
	for _, r := range authReasons {
		m.authFailures.with(labelValues{r})
	}
	for _, r := range []string{resultOK, resultError} {
		m.jwksFetches.with(labelValues{r})
		m.relayFetches.with(labelValues{r})
	}
	return m
}

// recordOperation records one MCP request of the given bounded labels.
// Steady state, it allocates nothing.
func (t *Telemetry) recordOperation(k operationKey, elapsed time.Duration) {
	t.metrics.operation.with(k.labels()).observe(elapsed.Seconds())
}

// The results of the fetch counters.
const (
	resultOK    = "ok"
	resultError = "error"
)

func result(err error) string {
	if err != nil {
		return resultError
	}
	return resultOK
}

// authReasons are the reasons runtime/auth reports (auth.Reason*); they
// are repeated here because telemetry must not depend on auth, which only
// some servers have.
var authReasons = []string{"missing", "malformed", "signature", "expired", "issuer", "audience", "claims", "untrusted", "rate_limited", "forbidden"}

// AuthFailed counts a refused request (auth.Observer).
func (t *Telemetry) AuthFailed(reason string) {
	if !contains(authReasons, reason) {
		reason = Other
	}
	t.metrics.authFailures.with(labelValues{reason}).inc()
}

// JWKSFetched counts a JWKS fetch (auth.Observer).
func (t *Telemetry) JWKSFetched(err error) {
	t.metrics.jwksFetches.with(labelValues{result(err)}).inc()
}

// RelayFetched counts a fetch of the authorization server metadata
// (oauth.Observer).
func (t *Telemetry) RelayFetched(err error) {
	t.metrics.relayFetches.with(labelValues{result(err)}).inc()
}

// httpMethods are the HTTP methods recorded by name; others are _OTHER, as
// the HTTP semantic conventions say.
var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

// HTTPRequest records an HTTP request (httpserver.Observer). route is ""
// for a path no route served.
func (t *Telemetry) HTTPRequest(method, route string, status int, elapsed time.Duration) {
	if !contains(httpMethods, method) {
		method = Other
	}
	if route == "" {
		route = Other
	}
	t.metrics.httpDuration.with(labelValues{method, route, statusText(status)}).observe(elapsed.Seconds())
}

// statusText is strconv.Itoa without an allocation for the usual codes.
func statusText(code int) string {
	switch code {
	case 200:
		return "200"
	case 202:
		return "202"
	case 204:
		return "204"
	case 400:
		return "400"
	case 401:
		return "401"
	case 403:
		return "403"
	case 404:
		return "404"
	case 405:
		return "405"
	case 429:
		return "429"
	case 500:
		return "500"
	case 503:
		return "503"
	}
	if code < 100 || code > 599 {
		return Other
	}
	return strconv.Itoa(code)
}

// errorCodeText is the error_type of a JSON-RPC error code, without an
// allocation for the codes mcp-go answers with.
func errorCodeText(code int) string {
	switch code {
	case mcp.PARSE_ERROR:
		return "-32700"
	case mcp.INVALID_REQUEST:
		return "-32600"
	case mcp.METHOD_NOT_FOUND:
		return "-32601"
	case mcp.INVALID_PARAMS:
		return "-32602"
	case mcp.INTERNAL_ERROR:
		return "-32603"
	case mcp.RESOURCE_NOT_FOUND:
		return "-32002"
	}
	// Any other code the server answers with: a server's codes are few.
	return strconv.Itoa(code)
}

// protocolVersion bounds an MCP protocol version to the known ones.
func protocolVersion(v string) string {
	if v == "" || contains(mcp.ValidProtocolVersions, v) {
		return v
	}
	return Other
}

// knownMethods are the MCP methods recorded by name; others are _OTHER.
// They are the methods mcp-go's HandleMessage dispatches: without a tracer,
// unknownMethod counts a request for any other as answered with -32601.
var knownMethods = []string{
	string(mcp.MethodInitialize), string(mcp.MethodPing), string(mcp.MethodServerDiscover),
	string(mcp.MethodSubscriptionsListen), string(mcp.MethodSetLogLevel),
	string(mcp.MethodResourcesList), string(mcp.MethodResourcesTemplatesList), string(mcp.MethodResourcesRead),
	string(mcp.MethodResourcesSubscribe), string(mcp.MethodResourcesUnsubscribe),
	string(mcp.MethodPromptsList), string(mcp.MethodPromptsGet),
	string(mcp.MethodToolsList), string(mcp.MethodToolsCall),
	string(mcp.MethodCompletionComplete),
	string(mcp.MethodTasksGet), string(mcp.MethodTasksList), string(mcp.MethodTasksResult), string(mcp.MethodTasksCancel),
}

// methodName bounds an MCP method to the known ones.
func methodName(m string) string {
	if contains(knownMethods, m) {
		return m
	}
	return Other
}

// contains is slices.Contains, spelled out so that the compiler keeps the
// string comparisons allocation-free on the request path.
func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
