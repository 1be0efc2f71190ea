// Package deploy holds the container build, the Kubernetes manifests and
// the compose file; its test validates them offline (schema downloads are
// not reachable where the tests run).
package deploy

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

// graph is the spec's service dependency graph: who calls whom.
var graph = map[string][]string{
	"gateway":    {"catalog", "contract", "transition", "monitoring"},
	"catalog":    nil,
	"contract":   {"catalog"},
	"transition": {"contract", "catalog"},
	"monitoring": {"contract", "catalog"},
}

var services = []string{"catalog", "contract", "transition", "monitoring"}

// manifests are the objects of deploy/k8s, strictly decoded into the
// Kubernetes API types.
type manifests struct {
	namespaces   []*corev1.Namespace
	deployments  map[string]*appsv1.Deployment
	services     map[string]*corev1.Service
	pdbs         []*policyv1.PodDisruptionBudget
	hpas         []*autoscalingv2.HorizontalPodAutoscaler
	policies     []*networkingv1.NetworkPolicy
	kustomImages []string
}

// load reads kustomization.yaml's resources and decodes every document
// strictly: an unknown or misspelt field, a wrong type, a duplicate key
// fail, as `kubectl apply --validate=strict` would.
func load(t *testing.T) manifests {
	t.Helper()
	var kust struct {
		APIVersion string   `json:"apiVersion"`
		Kind       string   `json:"kind"`
		Namespace  string   `json:"namespace"`
		Resources  []string `json:"resources"`
		Images     []struct {
			Name, NewName, NewTag, Digest string
		} `json:"images"`
	}
	raw, err := os.ReadFile("k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(raw, &kust); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	m := manifests{deployments: map[string]*appsv1.Deployment{}, services: map[string]*corev1.Service{}}
	for _, img := range kust.Images {
		m.kustomImages = append(m.kustomImages, img.Name)
	}
	files, _ := filepath.Glob("k8s/*.yaml")
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" && !slices.Contains(kust.Resources, base) {
			t.Errorf("%s is not in kustomization.yaml's resources", f)
		}
	}
	for _, res := range kust.Resources {
		raw, err := os.ReadFile(filepath.Join("k8s", res))
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(raw), -1) {
			if strings.TrimSpace(stripComments(doc)) == "" {
				continue
			}
			where := fmt.Sprintf("%s document %d", res, i+1)
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			var obj any
			switch tm.APIVersion + " " + tm.Kind {
			case "v1 Namespace":
				o := &corev1.Namespace{}
				m.namespaces, obj = append(m.namespaces, o), o
			case "apps/v1 Deployment":
				obj = &appsv1.Deployment{}
			case "v1 Service":
				obj = &corev1.Service{}
			case "policy/v1 PodDisruptionBudget":
				o := &policyv1.PodDisruptionBudget{}
				m.pdbs, obj = append(m.pdbs, o), o
			case "autoscaling/v2 HorizontalPodAutoscaler":
				o := &autoscalingv2.HorizontalPodAutoscaler{}
				m.hpas, obj = append(m.hpas, o), o
			case "networking.k8s.io/v1 NetworkPolicy":
				o := &networkingv1.NetworkPolicy{}
				m.policies, obj = append(m.policies, o), o
			default:
				t.Fatalf("%s: %s %s is not a kind this test knows; teach it", where, tm.APIVersion, tm.Kind)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Errorf("%s (%s): %v", where, tm.Kind, err)
			}
			switch o := obj.(type) {
			case *appsv1.Deployment:
				m.deployments[o.Name] = o
			case *corev1.Service:
				m.services[o.Name] = o
			}
		}
	}
	return m
}

func stripComments(doc string) string {
	var out []string
	for _, l := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestManifests(t *testing.T) {
	m := load(t)
	if t.Failed() {
		return
	}
	want := append([]string{"gateway"}, services...)
	sort.Strings(want)
	var got []string
	for name := range m.deployments {
		got = append(got, name)
	}
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Fatalf("Deployments %v; want %v", got, want)
	}

	evaluator, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range m.deployments {
		t.Run(name, func(t *testing.T) {
			pod := d.Spec.Template
			// The namespace enforces "restricted"; every pod must pass it.
			res := psapolicy.AggregateCheckResults(evaluator.EvaluatePod(
				psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}, &pod.ObjectMeta, &pod.Spec))
			if !res.Allowed {
				t.Errorf("pod template violates the restricted pod security profile: %s", res.ForbiddenDetail())
			}
			sel := labels.SelectorFromSet(d.Spec.Selector.MatchLabels)
			if !sel.Matches(labels.Set(pod.Labels)) {
				t.Errorf("selector %v does not match the pod labels %v", d.Spec.Selector.MatchLabels, pod.Labels)
			}
			c := pod.Spec.Containers[0]
			if !isImage(c.Image, m.kustomImages) {
				t.Errorf("image %q: want one kustomization.yaml sets (images:)", c.Image)
			}
			// Draining: a preStop delay, within the grace period with the drain.
			if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil || c.Lifecycle.PreStop.Sleep.Seconds < 3 {
				t.Errorf("no preStop sleep of at least 3 s: the pod would stop accepting before it leaves the endpoints")
			} else if grace, drain := derefInt64(pod.Spec.TerminationGracePeriodSeconds), int64(20); c.Lifecycle.PreStop.Sleep.Seconds+drain > grace {
				t.Errorf("preStop %d s + drain %d s > terminationGracePeriodSeconds %d", c.Lifecycle.PreStop.Sleep.Seconds, drain, grace)
			}
			if argValue(c.Args, "--drain-timeout") != "20s" {
				t.Errorf("--drain-timeout %q; the grace period assumes 20s", argValue(c.Args, "--drain-timeout"))
			}
			if len(pod.Spec.TopologySpreadConstraints) == 0 {
				t.Errorf("no topologySpreadConstraints: replicas may share a node")
			}
			for _, tsc := range pod.Spec.TopologySpreadConstraints {
				if tsc.LabelSelector == nil || !labels.SelectorFromSet(tsc.LabelSelector.MatchLabels).Matches(labels.Set(pod.Labels)) {
					t.Errorf("topology spread on %s does not select the pods", tsc.TopologyKey)
				}
			}
			if c.ReadinessProbe == nil || c.LivenessProbe == nil {
				t.Errorf("readiness and liveness probes required")
			}
			if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("CPU request (for the HPA) and memory limit required")
			}
			// Prometheus scrapes the port the process serves /metrics on.
			port := pod.Annotations["prometheus.io/port"]
			if pod.Annotations["prometheus.io/scrape"] != "true" || port == "" || pod.Annotations["prometheus.io/path"] != "/metrics" {
				t.Errorf("prometheus.io/scrape, port, path annotations missing: %v", pod.Annotations)
			}
			served := strings.TrimPrefix(argValue(c.Args, "--metrics-addr"), ":")
			if name == "gateway" {
				served = strings.TrimPrefix(argValue(c.Args, "--http-addr"), ":")
			}
			if served != port || !hasPort(c, port) {
				t.Errorf("metrics scraped on %s, served on %q (--metrics-addr / --http-addr), declared ports %v", port, served, c.Ports)
			}
			// Peers: exactly the spec's graph, by dns:/// on headless Services.
			var peers []string
			for _, s := range services {
				if v := argValue(c.Args, "--"+s+"-addr"); v != "" {
					peers = append(peers, s)
					if v != "dns:///"+s+":9090" {
						t.Errorf("--%s-addr %q; want dns:///%s:9090 (client-side balancing over the headless Service)", s, v, s)
					}
				}
			}
			if !sameSet(peers, graph[name]) {
				t.Errorf("told of %v; the spec's graph says it calls %v", peers, graph[name])
			}
			if argValue(c.Args, "--jwt-secret-file") == "" {
				t.Errorf("no --jwt-secret-file: each replica would make its own key")
			}
			if name != "gateway" {
				if argValue(c.Args, "--audit-key-file") == "" {
					t.Errorf("no --audit-key-file: each replica would make its own audit key (and a read-only root file system refuses it)")
				}
				svc := m.services[name]
				if svc == nil || svc.Spec.ClusterIP != corev1.ClusterIPNone {
					t.Errorf("Service %s is not headless (clusterIP: None): callers would pin one pod", name)
				}
				if len(pod.Spec.InitContainers) != 1 || !slices.Equal(pod.Spec.InitContainers[0].Args, []string{"migrate", "--service", name}) {
					t.Errorf("want one init container running bpo migrate --service %s (migrations once per release)", name)
				}
			}
			// A PodDisruptionBudget and an autoscaler for each.
			pdbs := 0
			for _, p := range m.pdbs {
				if s, err := metav1.LabelSelectorAsSelector(p.Spec.Selector); err == nil && s.Matches(labels.Set(pod.Labels)) {
					pdbs++
				}
			}
			if pdbs != 1 {
				t.Errorf("%d PodDisruptionBudgets select the pods; want 1", pdbs)
			}
			hpas := 0
			for _, h := range m.hpas {
				if h.Spec.ScaleTargetRef.Kind == "Deployment" && h.Spec.ScaleTargetRef.Name == name {
					hpas++
					if derefInt32(h.Spec.MinReplicas) < 2 {
						t.Errorf("HPA minReplicas %d; want ≥ 2 (the PDB needs a spare)", derefInt32(h.Spec.MinReplicas))
					}
				}
			}
			if hpas != 1 {
				t.Errorf("%d HorizontalPodAutoscalers scale it; want 1", hpas)
			}
			if d.Spec.Replicas != nil {
				t.Errorf("replicas: %d set: every apply would undo the autoscaler's count", *d.Spec.Replicas)
			}
		})
	}
	t.Run("network policies allow only the spec's graph", func(t *testing.T) {
		checkNetworkPolicies(t, m)
	})
	if len(m.namespaces) != 1 || m.namespaces[0].Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("want one Namespace enforcing the restricted pod security profile")
	}
}

// checkNetworkPolicies computes, from the policies, which component may
// open a connection to which other's gRPC port (9090), and compares it
// with the graph: both the caller's egress and the callee's ingress must
// allow it, and a namespace-wide default deny must be in place.
func checkNetworkPolicies(t *testing.T, m manifests) {
	defaultDeny := false
	for _, p := range m.policies {
		if len(p.Spec.PodSelector.MatchLabels) == 0 && len(p.Spec.PodSelector.MatchExpressions) == 0 &&
			len(p.Spec.Ingress) == 0 && len(p.Spec.Egress) == 0 && len(p.Spec.PolicyTypes) == 2 {
			defaultDeny = true
		}
	}
	if !defaultDeny {
		t.Errorf("no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)")
	}
	podLabels := func(name string) labels.Set { return labels.Set(m.deployments[name].Spec.Template.Labels) }
	policiesOf := func(name string) []*networkingv1.NetworkPolicy {
		var out []*networkingv1.NetworkPolicy
		for _, p := range m.policies {
			if s, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector); err == nil && s.Matches(podLabels(name)) {
				out = append(out, p)
			}
		}
		return out
	}
	peerMatches := func(peers []networkingv1.NetworkPolicyPeer, name string) bool {
		if len(peers) == 0 {
			return true // any peer
		}
		for _, pe := range peers {
			if pe.PodSelector != nil && pe.NamespaceSelector == nil && pe.IPBlock == nil {
				if s, err := metav1.LabelSelectorAsSelector(pe.PodSelector); err == nil && s.Matches(podLabels(name)) {
					return true
				}
			}
		}
		return false
	}
	portMatches := func(ports []networkingv1.NetworkPolicyPort, port int) bool {
		if len(ports) == 0 {
			return true
		}
		for _, p := range ports {
			if p.Port != nil && p.Port.IntValue() == port {
				return true
			}
		}
		return false
	}
	all := append([]string{"gateway"}, services...)
	for _, from := range all {
		for _, to := range services {
			if from == to {
				continue
			}
			egress, ingress := false, false
			for _, p := range policiesOf(from) {
				for _, r := range p.Spec.Egress {
					egress = egress || (peerMatches(r.To, to) && portMatches(r.Ports, 9090) && len(r.To) > 0)
				}
			}
			for _, p := range policiesOf(to) {
				for _, r := range p.Spec.Ingress {
					ingress = ingress || (peerMatches(r.From, from) && portMatches(r.Ports, 9090))
				}
			}
			want := slices.Contains(graph[from], to)
			if egress != want || ingress != want {
				t.Errorf("%s → %s: egress allowed %v, ingress allowed %v; the spec's graph says %v", from, to, egress, ingress, want)
			}
		}
	}
	// Only the gateway takes traffic from outside the platform.
	for _, s := range services {
		for _, p := range policiesOf(s) {
			for _, r := range p.Spec.Ingress {
				if len(r.From) == 0 {
					t.Errorf("%s's policy %s admits every source", s, p.Name)
				}
			}
		}
	}
}

// TestComposeMatchesREADME checks that the compose file publishes each
// service on the host port the README's split set-up gives it.
func TestComposeMatchesREADME(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	compose, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Ports []string `json:"ports"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(compose, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, s := range append([]string{"gateway"}, services...) {
		flag := "--grpc-addr"
		if s == "gateway" {
			flag = "--http-addr"
		}
		re := regexp.MustCompile(`bpo serve --service ` + s + `\s+` + flag + ` [a-z]*:(\d+)`)
		mm := re.FindSubmatch(readme)
		if mm == nil {
			t.Errorf("README: no split set-up line 'bpo serve --service %s %s …'", s, flag)
			continue
		}
		port := string(mm[1])
		var published []string
		for _, p := range c.Services[s].Ports {
			parts := strings.Split(p, ":")
			published = append(published, parts[len(parts)-2])
		}
		if !slices.Contains(published, port) {
			t.Errorf("%s: README says port %s, compose publishes %v", s, port, published)
		}
	}
}

// TestImagesPinned checks that the Dockerfile's base images are pinned by
// digest.
func TestImagesPinned(t *testing.T) {
	raw, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	froms := 0
	for _, l := range bytes.Split(raw, []byte("\n")) {
		if f := strings.Fields(string(l)); len(f) >= 2 && strings.EqualFold(f[0], "FROM") {
			froms++
			if !regexp.MustCompile(`@sha256:[0-9a-f]{64}$`).MatchString(f[1]) {
				t.Errorf("FROM %s is not pinned by digest", f[1])
			}
		}
	}
	if froms == 0 {
		t.Fatal("no FROM in the Dockerfile")
	}
}

func isImage(img string, kust []string) bool { return slices.Contains(kust, img) }

func argValue(args []string, name string) string {
	if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

func hasPort(c corev1.Container, port string) bool {
	for _, p := range c.Ports {
		if fmt.Sprint(p.ContainerPort) == port {
			return true
		}
	}
	return false
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

func derefInt64(p *int64) int64 {
	if p == nil {
		return 30
	}
	return *p
}

func derefInt32(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}
