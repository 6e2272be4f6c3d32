// Package kubernetes holds the Kubernetes manifests; its test checks that
// they parse, hold together (selectors, ports, volumes) and keep the
// properties the deployment relies on, and that the ConfigMap's
// configuration is a valid forwarder configuration.
package kubernetes

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/forwarder/forwarder/builtin"
	"github.com/forwarder/forwarder/config"
	"github.com/forwarder/forwarder/plan"
)

// object is the part of a manifest the checks read.
type object struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string            `yaml:"name"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Resources []string          `yaml:"resources"`
	Data      map[string]string `yaml:"data"`
	Spec      struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		MaxUnavailable any      `yaml:"maxUnavailable"`
		Template       template `yaml:"template"`
	} `yaml:"spec"`
}

type template struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		ServiceAccountName string `yaml:"serviceAccountName"`
		SecurityContext    struct {
			RunAsNonRoot bool `yaml:"runAsNonRoot"`
		} `yaml:"securityContext"`
		Containers []struct {
			Args  []string `yaml:"args"`
			Ports []struct {
				Name          string `yaml:"name"`
				ContainerPort int    `yaml:"containerPort"`
			} `yaml:"ports"`
			ReadinessProbe *probe `yaml:"readinessProbe"`
			LivenessProbe  *probe `yaml:"livenessProbe"`
			VolumeMounts   []struct {
				Name      string `yaml:"name"`
				MountPath string `yaml:"mountPath"`
				SubPath   string `yaml:"subPath"`
			} `yaml:"volumeMounts"`
		} `yaml:"containers"`
		Volumes []struct {
			Name      string `yaml:"name"`
			ConfigMap *struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

func load(t *testing.T) map[string]object {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	byKind := map[string]object{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(false)
		for {
			var o object
			err := dec.Decode(&o)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" || o.APIVersion == "" {
				t.Fatalf("%s: a document without kind or apiVersion", f)
			}
			byKind[o.Kind] = o
		}
	}
	return byKind
}

func TestManifests(t *testing.T) {
	m := load(t)
	for _, kind := range []string{"Kustomization", "Namespace", "ServiceAccount", "ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "Secret"} {
		if _, ok := m[kind]; !ok {
			t.Fatalf("no %s manifest", kind)
		}
	}
	for _, r := range m["Kustomization"].Resources {
		if _, err := os.Stat(r); err != nil {
			t.Errorf("kustomization lists %s: %v", r, err)
		}
	}

	d := m["Deployment"]
	if d.Spec.Replicas < 2 {
		t.Errorf("deployment has %d replicas; the consumer group needs several", d.Spec.Replicas)
	}
	pod := d.Spec.Template
	for k, v := range d.Spec.Selector.MatchLabels {
		if pod.Metadata.Labels[k] != v {
			t.Errorf("deployment selector %s=%s does not match the pod labels", k, v)
		}
	}
	for k, v := range m["PodDisruptionBudget"].Spec.Selector.MatchLabels {
		if pod.Metadata.Labels[k] != v {
			t.Errorf("pod disruption budget selector %s=%s does not match the pods", k, v)
		}
	}
	if m["PodDisruptionBudget"].Spec.MaxUnavailable == nil {
		t.Error("pod disruption budget sets no maxUnavailable")
	}
	sa := m["ServiceAccount"]
	if pod.Spec.ServiceAccountName != sa.Metadata.Name {
		t.Errorf("pods run as %q, not the service account %q", pod.Spec.ServiceAccountName, sa.Metadata.Name)
	}
	if sa.Metadata.Annotations["pod-identity.alibabacloud.com/role-name"] == "" {
		t.Error("service account lacks the RRSA role annotation")
	}
	if m["Namespace"].Metadata.Labels["pod-identity.alibabacloud.com/injection"] != "on" {
		t.Error("namespace lacks the RRSA injection label")
	}
	if !pod.Spec.SecurityContext.RunAsNonRoot {
		t.Error("pods may run as root")
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if !slices.Contains(c.Args, "--admin=:9598") || len(c.Ports) == 0 || c.Ports[0].ContainerPort != 9598 {
		t.Errorf("the admin server is not reachable for probes: args %v, ports %v", c.Args, c.Ports)
	}
	for name, p := range map[string]*probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil || p.HTTPGet.Path != "/health" || p.HTTPGet.Port != c.Ports[0].Name {
			t.Errorf("%s probe is not GET /health on the admin port: %+v", name, p)
		}
	}
	cfgDir := c.Args[len(c.Args)-1]
	mounted := false
	for _, vm := range c.VolumeMounts {
		if vm.MountPath != cfgDir {
			continue
		}
		mounted = true
		if vm.SubPath != "" {
			t.Error("the configuration is mounted with subPath, so ConfigMap edits never reach the pod")
		}
		for _, v := range pod.Spec.Volumes {
			if v.Name == vm.Name && (v.ConfigMap == nil || v.ConfigMap.Name != m["ConfigMap"].Metadata.Name) {
				t.Errorf("%s is not the ConfigMap %s", cfgDir, m["ConfigMap"].Metadata.Name)
			}
		}
	}
	if !mounted {
		t.Errorf("nothing is mounted at %s, the configuration directory run reads", cfgDir)
	}
}

// TestConfigMapIsValid validates the ConfigMap's configuration as
// `forwarder validate` would.
func TestConfigMapIsValid(t *testing.T) {
	cm := load(t)["ConfigMap"]
	if len(cm.Data) == 0 {
		t.Fatal("the ConfigMap holds no configuration")
	}
	dir := t.TempDir()
	for name, text := range cm.Data {
		if !strings.HasSuffix(name, ".hcl") {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg, diags := config.Load(dir)
	if !diags.HasErrors() {
		var d = diags
		_, d = plan.Compile(cfg, builtin.Registries(), config.Validate)
		diags = append(diags, d...)
	}
	for _, d := range diags {
		t.Errorf("%v", d)
	}
}
