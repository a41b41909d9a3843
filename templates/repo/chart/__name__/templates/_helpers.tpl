{{/*
Helpers of this chart. Names are generic ("app.*") so the templates read the
same in every generated chart; the chart's name comes from Chart.yaml.
*/}}

{{/* app.name is the chart name, or nameOverride. */}}
{{- define "app.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
app.fullname names every resource: the release name, suffixed with the chart
name unless the release name already contains it. Kubernetes names are at
most 63 characters.
*/}}
{{- define "app.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* app.chart is the chart label value: name-version. */}}
{{- define "app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* app.selectorLabels select the pods of this release; they never change after install. */}}
{{- define "app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* app.labels go on every resource. */}}
{{- define "app.labels" -}}
helm.sh/chart: {{ include "app.chart" . }}
{{ include "app.selectorLabels" . }}
app.kubernetes.io/version: {{ include "app.imageTag" . | trunc 63 | trimSuffix "-" | quote }}
app.kubernetes.io/component: mcp-server
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* app.serviceAccountName is the ServiceAccount the pods run as. */}}
{{- define "app.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "app.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* app.imageTag is image.tag, or the chart's appVersion. */}}
{{- define "app.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}

{{/* app.image is the image reference; a digest pins it and wins over the tag. */}}
{{- define "app.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "app.imageTag" .) }}
{{- end }}
{{- end }}

{{/*
app.configDir is where config.toml is mounted: the path the image's
ENTRYPOINT reads (Dockerfile), /etc/<chart name>.
*/}}
{{- define "app.configDir" -}}
{{- printf "/etc/%s" .Chart.Name }}
{{- end }}

{{/* app.serviceHosts are the in-cluster DNS names of the Service. */}}
{{- define "app.serviceHosts" -}}
{{- $svc := include "app.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- $hosts := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns .Values.clusterDomain) }}
{{- if ne (int .Values.service.port) 80 }}
{{- range $h := $hosts }}
{{- $hosts = append $hosts (printf "%s:%d" $h (int $.Values.service.port)) }}
{{- end }}
{{- end }}
{{- toJson $hosts }}
{{- end }}

{{/*
app.publicURL is the base URL clients use: publicURL, else the first Ingress
host, else the first HTTPRoute hostname, else the in-cluster Service URL.
*/}}
{{- define "app.publicURL" -}}
{{- if .Values.publicURL }}
{{- .Values.publicURL | trimSuffix "/" }}
{{- else if and .Values.ingress.enabled .Values.ingress.hosts }}
{{- $host := (first .Values.ingress.hosts).host }}
{{- $scheme := "http" }}
{{- range .Values.ingress.tls }}{{ if has $host .hosts }}{{ $scheme = "https" }}{{ end }}{{ end }}
{{- printf "%s://%s" $scheme $host }}
{{- else if and .Values.httpRoute.enabled .Values.httpRoute.hostnames }}
{{- printf "https://%s" (first .Values.httpRoute.hostnames) }}
{{- else }}
{{- $url := printf "http://%s.%s.svc.%s" (include "app.fullname" .) .Release.Namespace .Values.clusterDomain }}
{{- if ne (int .Values.service.port) 80 }}{{ $url = printf "%s:%d" $url (int .Values.service.port) }}{{ end }}
{{- $url }}
{{- end }}
{{- end }}

{{/*
app.config is the server configuration: .Values.config with the keys the
chart owns filled in — the listen address (all interfaces, containerPort),
the public URL unless set, the Service and ingress host names added to the
Host-header allow-list, with Istio, the header the sidecar puts the
verified claims in, and, with metrics, their listen address.
*/}}
{{- define "app.config" -}}
{{- $cfg := deepCopy (.Values.config | default dict) }}
{{- $server := get $cfg "server" | default dict }}
{{- $_ := set $cfg "server" $server }}
{{- $http := get $server "http" | default dict }}
{{- $_ := set $server "http" $http }}
{{- $_ := set $http "host" "0.0.0.0" }}
{{- $_ := set $http "port" (int .Values.containerPort) }}
{{- if not (get $http "public_url") }}
{{- $_ := set $http "public_url" (include "app.publicURL" .) }}
{{- end }}
{{- $hosts := concat (get $http "allowed_hosts" | default list) (include "app.serviceHosts" . | fromJsonArray) }}
{{- if .Values.ingress.enabled }}
{{- range .Values.ingress.hosts }}{{ $hosts = append $hosts .host }}{{ end }}
{{- end }}
{{- if .Values.httpRoute.enabled }}
{{- $hosts = concat $hosts .Values.httpRoute.hostnames }}
{{- end }}
{{- $_ := set $http "allowed_hosts" ($hosts | uniq) }}
{{- if .Values.istio.enabled }}
{{- $middleware := get $cfg "middleware" | default dict }}
{{- $_ := set $cfg "middleware" $middleware }}
{{- $jwt := get $middleware "jwt" | default dict }}
{{- $_ := set $middleware "jwt" $jwt }}
{{- $external := get $jwt "external" | default dict }}
{{- $_ := set $jwt "external" $external }}
{{- $_ := set $external "header" .Values.istio.jwt.outputPayloadToHeader }}
{{- $_ := set $external "header_format" "istio-payload" }}
{{- end }}
{{- if include "app.metricsEnabled" . }}
{{- $telemetry := get $cfg "telemetry" | default dict }}
{{- $_ := set $cfg "telemetry" $telemetry }}
{{- $_ := set $telemetry "metrics_addr" (printf "0.0.0.0:%d" (int .Values.metrics.port)) }}
{{- end }}
{{- include "app.toml" (dict "table" $cfg "name" "") | trim }}
{{- end }}

{{/*
app.metricsEnabled is "true" when the server serves metrics on their own
port (values metrics.enabled), else empty. A chart generated without
observability has no metrics values at all.
*/}}
{{- define "app.metricsEnabled" -}}
{{- if and (hasKey .Values "metrics") .Values.metrics.enabled }}true{{ end }}
{{- end }}

{{/*
app.toml renders a map as TOML: a [table] per nested map holding scalars,
scalars before sub-tables, keys sorted. Helm's toToml would write whole
numbers read from YAML as floats (8080.0), which the server refuses for
integer keys; here they stay integers. A null value leaves the key out, so
the server's default applies.
*/}}
{{- define "app.toml" -}}
{{- $table := .table }}
{{- $scalars := list }}
{{- range $key := keys $table | sortAlpha }}
{{- $value := get $table $key }}
{{- if and (not (kindIs "map" $value)) (not (kindIs "invalid" $value)) }}
{{- $scalars = append $scalars $key }}
{{- end }}
{{- end }}
{{- if and .name $scalars }}

[{{ .name }}]
{{- end }}
{{- range $key := $scalars }}
{{ include "app.tomlKey" $key }} = {{ include "app.tomlValue" (get $table $key) }}
{{- end }}
{{- range $key := keys $table | sortAlpha }}
{{- $value := get $table $key }}
{{- if kindIs "map" $value }}
{{- $name := include "app.tomlKey" $key }}
{{- if $.name }}{{ $name = printf "%s.%s" $.name $name }}{{ end }}
{{- include "app.toml" (dict "table" $value "name" $name) }}
{{- end }}
{{- end }}
{{- end }}

{{/* app.tomlKey is a bare TOML key, or a quoted one when it needs quotes. */}}
{{- define "app.tomlKey" -}}
{{- if regexMatch "^[A-Za-z0-9_-]+$" . }}{{ . }}{{ else }}{{ toJson . }}{{ end }}
{{- end }}

{{/* app.tomlValue is a TOML string, boolean, integer, float or array. */}}
{{- define "app.tomlValue" -}}
{{- if kindIs "string" . }}{{ toJson . }}
{{- else if kindIs "bool" . }}{{ . }}
{{- else if or (kindIs "int" .) (kindIs "int64" .) }}{{ . }}
{{- else if kindIs "float64" . }}{{ if eq . (floor .) }}{{ int64 . }}{{ else }}{{ . }}{{ end }}
{{- else if kindIs "slice" . }}[{{ range $i, $e := . }}{{ if $i }}, {{ end }}{{ include "app.tomlValue" $e }}{{ end }}]
{{- else }}{{ fail (printf "config: %v is a %s; use a string, number, boolean, list or map" . (kindOf .)) }}
{{- end }}
{{- end }}

{{/*
app.sessionAffinity is the Service's sessionAffinity: service.sessionAffinity
when set; otherwise ClientIP when sessions live in a pod (the SSE transport,
or streamable HTTP with stateless off) and more than one pod may run, else
None.
*/}}
{{- define "app.sessionAffinity" -}}
{{- if .Values.service.sessionAffinity -}}
{{ .Values.service.sessionAffinity }}
{{- else -}}
{{- $replicas := ternary .Values.autoscaling.maxReplicas .Values.replicaCount .Values.autoscaling.enabled -}}
{{- $stateless := dig "server" "http" "stateless" false (.Values.config | default dict) -}}
{{- if and (gt (int $replicas) 1) (or (eq .Values.transport "sse") (not $stateless)) -}}
ClientIP
{{- else -}}
None
{{- end -}}
{{- end -}}
{{- end }}
