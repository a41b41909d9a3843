package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/BurntSushi/toml"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	istiosecurity "istio.io/api/security/v1beta1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// manifest is one decoded Kubernetes object.
type manifest struct {
	apiVersion, kind, name, source string
	obj                            any // typed object, or a proto message for Istio
}

// scheme knows the Go types of every kind the chart may render: the built-in
// Kubernetes API (client-go's scheme), the Gateway API and the Prometheus
// Operator. Istio's kinds are protobuf messages, decoded apart.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, gatewayv1.Install, monitoringv1.AddToScheme} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// strictDecoder decodes YAML or JSON into the registered Go type of its
// apiVersion and kind, failing on unknown or duplicate fields as the API
// server's strict field validation does (case-sensitively).
var strictDecoder = serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()

// istioSpecs are the Istio kinds the chart renders, by kind, with the
// protobuf message of their spec.
var istioSpecs = map[string]func() proto.Message{
	"RequestAuthentication": func() proto.Message { return &istiosecurity.RequestAuthentication{} },
	"AuthorizationPolicy":   func() proto.Message { return &istiosecurity.AuthorizationPolicy{} },
	"PeerAuthentication":    func() proto.Message { return &istiosecurity.PeerAuthentication{} },
}

// decodeManifest decodes one YAML document strictly into its Go type and
// checks its metadata; every problem is returned.
func decodeManifest(doc []byte) (*manifest, []error) {
	var head struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &head); err != nil {
		return nil, []error{fmt.Errorf("not well-formed YAML: %w", err)}
	}
	if head.APIVersion == "" || head.Kind == "" || head.Metadata.Name == "" {
		return nil, []error{fmt.Errorf("apiVersion, kind and metadata.name are required, got %q, %q, %q", head.APIVersion, head.Kind, head.Metadata.Name)}
	}
	m := &manifest{apiVersion: head.APIVersion, kind: head.Kind, name: head.Metadata.Name}
	id := m.kind + "/" + m.name
	var errs []error
	for _, msg := range validation.IsDNS1123Subdomain(m.name) {
		errs = append(errs, fmt.Errorf("%s: metadata.name: %s", id, msg))
	}
	for k, v := range head.Metadata.Labels {
		for _, msg := range validation.IsQualifiedName(k) {
			errs = append(errs, fmt.Errorf("%s: label key %q: %s", id, k, msg))
		}
		for _, msg := range validation.IsValidLabelValue(v) {
			errs = append(errs, fmt.Errorf("%s: label %s value %q: %s", id, k, v, msg))
		}
	}

	if strings.HasPrefix(m.apiVersion, "security.istio.io/") {
		obj, err := decodeIstio(doc, m.kind)
		if err != nil {
			return m, append(errs, fmt.Errorf("%s (%s): %w", id, m.apiVersion, err))
		}
		m.obj = obj
		return m, errs
	}
	obj, _, err := strictDecoder.Decode(doc, nil, nil)
	if err != nil {
		if runtime.IsNotRegisteredError(err) {
			return m, append(errs, fmt.Errorf("%s (%s): no Go type known for this kind; add its API package to the validator's scheme: %w", id, m.apiVersion, err))
		}
		return m, append(errs, fmt.Errorf("%s (%s): %w", id, m.apiVersion, err))
	}
	m.obj = obj
	return m, errs
}

// decodeIstio decodes an Istio security object: the envelope strictly into
// TypeMeta and ObjectMeta, the spec with protojson, which refuses unknown
// fields (Istio's own JSON unmarshalers allow them, so they are not used).
func decodeIstio(doc []byte, kind string) (proto.Message, error) {
	newSpec, ok := istioSpecs[kind]
	if !ok {
		return nil, fmt.Errorf("no Go type known for Istio kind %s", kind)
	}
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return nil, err
	}
	var envelope struct {
		metav1.TypeMeta `json:",inline"`
		Metadata        metav1.ObjectMeta `json:"metadata"`
		Spec            json.RawMessage   `json:"spec"`
	}
	strictErrs, err := sigsjson.UnmarshalStrict(data, &envelope, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, err
	}
	if len(strictErrs) > 0 {
		return nil, fmt.Errorf("strict decoding error: %v", strictErrs)
	}
	spec := newSpec()
	if len(bytes.TrimSpace(envelope.Spec)) == 0 {
		return nil, fmt.Errorf("spec is missing")
	}
	if err := protojson.Unmarshal(envelope.Spec, spec); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	return spec, nil
}

// checkPolicies checks what the chart promises about the rendered objects
// and how they refer to each other: probes, hardening, resources, the
// config checksum, the writable /tmp, selectors and references.
func checkPolicies(objects []manifest) []string {
	var findings []string
	bad := func(format string, args ...any) { findings = append(findings, fmt.Sprintf(format, args...)) }

	byKind := map[string][]manifest{}
	for _, o := range objects {
		byKind[o.kind] = append(byKind[o.kind], o)
	}
	for _, required := range []string{"Deployment", "Service", "ConfigMap"} {
		if len(byKind[required]) == 0 {
			bad("no %s rendered", required)
		}
	}
	if len(byKind["Deployment"]) != 1 {
		bad("want exactly one Deployment, got %d", len(byKind["Deployment"]))
		return findings
	}
	dep := byKind["Deployment"][0].obj.(*appsv1.Deployment)
	pod := dep.Spec.Template
	podLabels := labels.Set(pod.Labels)
	configMaps := names(byKind["ConfigMap"])

	sel, err := metav1.LabelSelectorAsSelector(dep.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(podLabels) {
		bad("Deployment %s: selector %v does not select its own pod template labels %v", dep.Name, dep.Spec.Selector, pod.Labels)
	}
	if pod.Annotations["checksum/config"] == "" {
		bad("Deployment %s: pod template has no checksum/config annotation, so a config change would not roll the pods", dep.Name)
	}
	psc := pod.Spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	if pod.Spec.AutomountServiceAccountToken == nil || *pod.Spec.AutomountServiceAccountToken {
		bad("Deployment %s: automountServiceAccountToken is not false; the server needs no Kubernetes API token", dep.Name)
	}

	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Spec.Volumes {
		volumes[v.Name] = v
		if v.ConfigMap != nil && !configMaps[v.ConfigMap.Name] && v.Name == "config" {
			bad("Deployment %s: volume %s refers to ConfigMap %s, which the chart does not render", dep.Name, v.Name, v.ConfigMap.Name)
		}
	}
	if len(pod.Spec.Containers) == 0 {
		bad("Deployment %s: no containers", dep.Name)
	}
	containerPorts := map[string]int32{}
	for _, c := range pod.Spec.Containers {
		id := fmt.Sprintf("Deployment %s container %s", dep.Name, c.Name)
		for _, p := range c.Ports {
			if p.Name != "" {
				containerPorts[p.Name] = p.ContainerPort
			}
		}
		checkProbe(id, "livenessProbe", c.LivenessProbe, "/health", c.Ports, bad)
		checkProbe(id, "readinessProbe", c.ReadinessProbe, "/ready", c.Ports, bad)
		if c.StartupProbe != nil {
			checkProbe(id, "startupProbe", c.StartupProbe, "", c.Ports, bad)
		}
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
		}
		if !isTrue(sc.RunAsNonRoot) && !isTrue(psc.RunAsNonRoot) {
			bad("%s: runAsNonRoot is not true", id)
		}
		if !isTrue(sc.ReadOnlyRootFilesystem) {
			bad("%s: readOnlyRootFilesystem is not true", id)
		}
		if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			bad("%s: allowPrivilegeEscalation is not false", id)
		}
		if sc.Privileged != nil && *sc.Privileged {
			bad("%s: privileged", id)
		}
		if sc.Capabilities == nil || !containsCap(sc.Capabilities.Drop, "ALL") {
			bad("%s: capabilities do not drop ALL", id)
		}
		if sc.Capabilities != nil && len(sc.Capabilities.Add) > 0 {
			bad("%s: adds capabilities %v", id, sc.Capabilities.Add)
		}
		seccomp := psc.SeccompProfile
		if sc.SeccompProfile != nil {
			seccomp = sc.SeccompProfile
		}
		if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
			bad("%s: seccomp profile is not RuntimeDefault", id)
		}
		if len(c.Resources.Requests) == 0 {
			bad("%s: no resource requests", id)
		}
		if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
			bad("%s: no memory limit", id)
		}
		tmp := false
		for _, vm := range c.VolumeMounts {
			v, ok := volumes[vm.Name]
			if !ok {
				bad("%s: volumeMount %s names no volume of the pod", id, vm.Name)
				continue
			}
			if vm.MountPath == "/tmp" && v.EmptyDir != nil {
				tmp = true
			}
		}
		if !tmp {
			bad("%s: no writable emptyDir at /tmp (the root filesystem is read-only)", id)
		}
		for _, ef := range c.EnvFrom {
			if ef.SecretRef != nil && ef.SecretRef.Name == "" {
				bad("%s: envFrom secretRef without a name", id)
			}
		}
	}

	services := map[string]*corev1.Service{}
	for _, o := range byKind["Service"] {
		svc := o.obj.(*corev1.Service)
		services[svc.Name] = svc
		if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
			bad("Service %s: selector %v does not select the Deployment's pods", svc.Name, svc.Spec.Selector)
		}
		for _, p := range svc.Spec.Ports {
			if p.TargetPort.Type == intstr.String {
				if _, ok := containerPorts[p.TargetPort.StrVal]; !ok {
					bad("Service %s: targetPort %s is not a container port name", svc.Name, p.TargetPort.StrVal)
				}
			}
		}
	}
	servicePort := func(id, name string, port *networkingv1.ServiceBackendPort, number int32) {
		svc, ok := services[name]
		if !ok {
			bad("%s: backend Service %s is not rendered by the chart", id, name)
			return
		}
		for _, p := range svc.Spec.Ports {
			if (port != nil && port.Name != "" && p.Name == port.Name) || (port != nil && port.Number != 0 && p.Port == port.Number) || (port == nil && p.Port == number) {
				return
			}
		}
		bad("%s: backend port %v/%d is not a port of Service %s", id, port, number, name)
	}
	for _, sa := range byKind["ServiceAccount"] {
		if sa.name != pod.Spec.ServiceAccountName {
			bad("ServiceAccount %s is rendered but the pods run as %q", sa.name, pod.Spec.ServiceAccountName)
		}
	}
	for _, o := range byKind["ConfigMap"] {
		cm := o.obj.(*corev1.ConfigMap)
		if doc, ok := cm.Data["config.toml"]; ok {
			var v map[string]any
			if _, err := toml.Decode(doc, &v); err != nil {
				bad("ConfigMap %s: config.toml is not valid TOML: %v", cm.Name, err)
			}
		}
	}
	for _, o := range byKind["Ingress"] {
		ing := o.obj.(*networkingv1.Ingress)
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service == nil {
					bad("Ingress %s: path %s has no service backend", ing.Name, p.Path)
					continue
				}
				servicePort("Ingress "+ing.Name, p.Backend.Service.Name, &p.Backend.Service.Port, 0)
			}
		}
	}
	for _, o := range byKind["HTTPRoute"] {
		route := o.obj.(*gatewayv1.HTTPRoute)
		if len(route.Spec.ParentRefs) == 0 {
			bad("HTTPRoute %s: no parentRefs", route.Name)
		}
		for _, r := range route.Spec.Rules {
			for _, b := range r.BackendRefs {
				if b.Port == nil {
					bad("HTTPRoute %s: backendRef %s has no port", route.Name, b.Name)
					continue
				}
				servicePort("HTTPRoute "+route.Name, string(b.Name), nil, int32(*b.Port))
			}
		}
	}
	for _, o := range byKind["HorizontalPodAutoscaler"] {
		hpa := o.obj.(*autoscalingv2.HorizontalPodAutoscaler)
		if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != dep.Name {
			bad("HorizontalPodAutoscaler %s: scales %s/%s, not the Deployment %s", hpa.Name, hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name, dep.Name)
		}
		if dep.Spec.Replicas != nil {
			bad("Deployment %s: sets replicas although HorizontalPodAutoscaler %s manages them", dep.Name, hpa.Name)
		}
		if len(hpa.Spec.Metrics) == 0 {
			bad("HorizontalPodAutoscaler %s: no metrics", hpa.Name)
		}
	}
	matchesPods := func(id string, s *metav1.LabelSelector) {
		sel, err := metav1.LabelSelectorAsSelector(s)
		if err != nil || sel.Empty() || !sel.Matches(podLabels) {
			bad("%s: selector %v does not select the Deployment's pods", id, s)
		}
	}
	for _, o := range byKind["PodDisruptionBudget"] {
		pdb := o.obj.(*policyv1.PodDisruptionBudget)
		matchesPods("PodDisruptionBudget "+pdb.Name, pdb.Spec.Selector)
		if (pdb.Spec.MinAvailable == nil) == (pdb.Spec.MaxUnavailable == nil) {
			bad("PodDisruptionBudget %s: set exactly one of minAvailable and maxUnavailable", pdb.Name)
		}
	}
	for _, o := range byKind["NetworkPolicy"] {
		np := o.obj.(*networkingv1.NetworkPolicy)
		matchesPods("NetworkPolicy "+np.Name, &np.Spec.PodSelector)
	}
	for _, o := range byKind["ServiceMonitor"] {
		sm := o.obj.(*monitoringv1.ServiceMonitor)
		var matched []*corev1.Service
		for _, svc := range services {
			s, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
			if err == nil && !s.Empty() && s.Matches(labels.Set(svc.Labels)) {
				matched = append(matched, svc)
			}
		}
		if len(matched) == 0 {
			bad("ServiceMonitor %s: selector matches no Service of the chart", sm.Name)
		}
		// Each endpoint scrapes a named port of the Service, which leads to
		// a port of the container that the NetworkPolicies admit.
		for _, ep := range sm.Spec.Endpoints {
			for _, svc := range matched {
				target, ok := servicePortTarget(svc, ep.Port)
				if !ok {
					bad("ServiceMonitor %s: port %q is not a port of Service %s", sm.Name, ep.Port, svc.Name)
					continue
				}
				number, ok := containerPort(target, containerPorts)
				if !ok {
					bad("ServiceMonitor %s: port %q of Service %s targets %s, not a port of the container", sm.Name, ep.Port, svc.Name, target.String())
					continue
				}
				for _, np := range byKind["NetworkPolicy"] {
					if !admits(np.obj.(*networkingv1.NetworkPolicy), number, containerPorts) {
						bad("NetworkPolicy %s does not admit the scraped port %d (ServiceMonitor %s, port %q)", np.name, number, sm.Name, ep.Port)
					}
				}
			}
		}
	}
	for _, o := range byKind["ConfigMap"] {
		cm := o.obj.(*corev1.ConfigMap)
		if cm.Labels["grafana_dashboard"] == "" {
			continue
		}
		if len(cm.Data) == 0 {
			bad("ConfigMap %s: a Grafana dashboard ConfigMap without data", cm.Name)
		}
		for key, doc := range cm.Data {
			var dash struct {
				Title  string           `json:"title"`
				Panels []map[string]any `json:"panels"`
			}
			if err := json.Unmarshal([]byte(doc), &dash); err != nil {
				bad("ConfigMap %s: dashboard %s is not JSON: %v", cm.Name, key, err)
			} else if dash.Title == "" || len(dash.Panels) == 0 {
				bad("ConfigMap %s: dashboard %s has no title or no panels", cm.Name, key)
			}
		}
	}
	for _, o := range byKind["RequestAuthentication"] {
		ra := o.obj.(*istiosecurity.RequestAuthentication)
		if ra.GetSelector() == nil || !labels.SelectorFromSet(ra.GetSelector().GetMatchLabels()).Matches(podLabels) {
			bad("RequestAuthentication %s: selector does not select the Deployment's pods", o.name)
		}
		if len(ra.GetJwtRules()) == 0 {
			bad("RequestAuthentication %s: no jwtRules", o.name)
		}
	}
	for _, o := range byKind["AuthorizationPolicy"] {
		ap := o.obj.(*istiosecurity.AuthorizationPolicy)
		if ap.GetSelector() == nil || !labels.SelectorFromSet(ap.GetSelector().GetMatchLabels()).Matches(podLabels) {
			bad("AuthorizationPolicy %s: selector does not select the Deployment's pods", o.name)
		}
	}
	return findings
}

// servicePortTarget is the targetPort of the port of svc named name.
func servicePortTarget(svc *corev1.Service, name string) (intstr.IntOrString, bool) {
	for _, p := range svc.Spec.Ports {
		if p.Name == name {
			if p.TargetPort.Type == intstr.Int && p.TargetPort.IntVal == 0 {
				return intstr.FromInt32(p.Port), true
			}
			return p.TargetPort, true
		}
	}
	return intstr.IntOrString{}, false
}

// containerPort resolves a port by name or number to a container port.
func containerPort(p intstr.IntOrString, named map[string]int32) (int32, bool) {
	if p.Type == intstr.String {
		n, ok := named[p.StrVal]
		return n, ok
	}
	for _, n := range named {
		if n == p.IntVal {
			return n, true
		}
	}
	return 0, false
}

// admits reports whether some ingress rule of np lets traffic reach the
// container port number (a rule without ports admits every port).
func admits(np *networkingv1.NetworkPolicy, number int32, named map[string]int32) bool {
	for _, rule := range np.Spec.Ingress {
		if len(rule.Ports) == 0 {
			return true
		}
		for _, p := range rule.Ports {
			if p.Port == nil {
				return true
			}
			if n, ok := containerPort(*p.Port, named); ok && n == number {
				return true
			}
		}
	}
	return false
}

// checkProbe checks that a probe exists, is an HTTP GET on path (any path
// when path is empty) and targets a port the container declares.
func checkProbe(id, field string, p *corev1.Probe, path string, ports []corev1.ContainerPort, bad func(string, ...any)) {
	if p == nil || p.HTTPGet == nil {
		bad("%s: no HTTP %s", id, field)
		return
	}
	if path != "" && p.HTTPGet.Path != path {
		bad("%s: %s checks %s, want %s", id, field, p.HTTPGet.Path, path)
	}
	for _, cp := range ports {
		if (p.HTTPGet.Port.Type == intstr.String && cp.Name == p.HTTPGet.Port.StrVal) ||
			(p.HTTPGet.Port.Type == intstr.Int && cp.ContainerPort == p.HTTPGet.Port.IntVal) {
			return
		}
	}
	bad("%s: %s port %s is not a container port", id, field, p.HTTPGet.Port.String())
}

func names(ms []manifest) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		out[m.name] = true
	}
	return out
}

func isTrue(b *bool) bool { return b != nil && *b }

func containsCap(caps []corev1.Capability, want corev1.Capability) bool {
	for _, c := range caps {
		if c == want {
			return true
		}
	}
	return false
}
