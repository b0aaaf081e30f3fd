package podspec

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func testPod(c corev1.Container) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web", Namespace: "ns", UID: "uid-1",
			Labels:      map[string]string{"app": "web", "tier": "front"},
			Annotations: map[string]string{"note": "a \"quoted\"\nline"},
		},
		Spec: corev1.PodSpec{NodeName: "node-1", ServiceAccountName: "sa", Containers: []corev1.Container{c}},
	}
}

func cmRef(name, key string, optional bool) *corev1.EnvVarSource {
	return &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key, Optional: ptr.To(optional)}}
}

func secretRef(name, key string, optional bool) *corev1.EnvVarSource {
	return &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key, Optional: ptr.To(optional)}}
}

func fieldRef(path string) *corev1.EnvVarSource {
	return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: path}}
}

func resRef(res, divisor string) *corev1.EnvVarSource {
	s := &corev1.ResourceFieldSelector{Resource: res}
	if divisor != "" {
		s.Divisor = resource.MustParse(divisor)
	}
	return &corev1.EnvVarSource{ResourceFieldRef: s}
}

func TestEnv(t *testing.T) {
	t.Parallel()
	lookup := newLookup(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cfg"},
			Data: map[string]string{"B": "cb", "A": "ca", "1bad=key": "x", "with.dot": "d"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cfg2"}, Data: map[string]string{"A": "second"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "sec"}, Data: map[string][]byte{"PASS": []byte("s3cret")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "other", Name: "cfg"}, Data: map[string]string{"A": "wrong namespace"}},
	)
	info := PodInfo{PodIP: "10.244.1.5", PodIPs: []string{"10.244.1.5", "fd00::5"}, HostIP: "172.18.0.3"}
	alloc := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi")}
	withRes := corev1.ResourceRequirements{
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
	}
	tests := []struct {
		name     string
		c        corev1.Container
		imageEnv []string
		want     []string
		wantErr  string
	}{
		{name: "image env only", imageEnv: []string{"PATH=/bin", "HOME=/root"}, want: []string{"PATH=/bin", "HOME=/root"}},
		{
			name:     "env overrides image env in place",
			imageEnv: []string{"PATH=/bin", "LANG=C"},
			c:        corev1.Container{Env: []corev1.EnvVar{{Name: "NEW", Value: "n"}, {Name: "PATH", Value: "/usr/bin"}}},
			want:     []string{"PATH=/usr/bin", "LANG=C", "NEW=n"},
		},
		{
			name: "envFrom sorted keys, relaxed names kept, '=' skipped, env wins",
			c: corev1.Container{
				EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
				Env:     []corev1.EnvVar{{Name: "A", Value: "env"}},
			},
			want: []string{"A=env", "B=cb", "with.dot=d"},
		},
		{
			name: "envFrom in order, later source wins, prefix",
			c: corev1.Container{EnvFrom: []corev1.EnvFromSource{
				{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
				{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg2"}}},
				{Prefix: "S_", SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}}},
			}},
			want: []string{"A=second", "B=cb", "with.dot=d", "S_PASS=s3cret"},
		},
		{
			name: "envFrom optional missing skipped",
			c: corev1.Container{EnvFrom: []corev1.EnvFromSource{
				{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Optional: ptr.To(true)}},
				{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Optional: ptr.To(true)}},
			}},
			want: []string{},
		},
		{
			name: "envFrom configmap missing",
			c: corev1.Container{EnvFrom: []corev1.EnvFromSource{
				{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "app-config"}}}}},
			wantErr: `configmap "app-config" not found`,
		},
		{
			name: "envFrom secret missing",
			c: corev1.Container{EnvFrom: []corev1.EnvFromSource{
				{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}}}}},
			wantErr: `secret "creds" not found`,
		},
		{
			name: "expansion against earlier vars only",
			c: corev1.Container{Env: []corev1.EnvVar{
				{Name: "A", Value: "a"},
				{Name: "B", Value: "$(A)-$(C)-$$(A)"},
				{Name: "C", Value: "c"},
				{Name: "D", Value: "$(C)$(IMG)"},
			}},
			imageEnv: []string{"IMG=i"},
			want:     []string{"IMG=i", "A=a", "B=a-$(C)-$(A)", "C=c", "D=c$(IMG)"},
		},
		{
			name: "expansion sees envFrom",
			c: corev1.Container{
				EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}}}},
				Env:     []corev1.EnvVar{{Name: "URL", Value: "user:$(PASS)@db"}},
			},
			want: []string{"PASS=s3cret", "URL=user:s3cret@db"},
		},
		{
			name: "redefinition keeps first position",
			c:    corev1.Container{Env: []corev1.EnvVar{{Name: "X", Value: "1"}, {Name: "Y", Value: "$(X)"}, {Name: "X", Value: "$(X)2"}}},
			want: []string{"X=12", "Y=1"},
		},
		{
			name: "empty value without source",
			c:    corev1.Container{Env: []corev1.EnvVar{{Name: "E"}}},
			want: []string{"E="},
		},
		{
			name: "configMapKeyRef and secretKeyRef",
			c: corev1.Container{Env: []corev1.EnvVar{
				{Name: "CA", ValueFrom: cmRef("cfg", "A", false)},
				{Name: "PW", ValueFrom: secretRef("sec", "PASS", false)},
				{Name: "OPT1", ValueFrom: cmRef("cfg", "missing", true)},
				{Name: "OPT2", ValueFrom: cmRef("nope", "A", true)},
				{Name: "OPT3", ValueFrom: secretRef("sec", "missing", true)},
				{Name: "OPT4", ValueFrom: secretRef("nope", "x", true)},
			}},
			want: []string{"CA=ca", "PW=s3cret"},
		},
		{
			name:    "configMapKeyRef missing key",
			c:       corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: cmRef("cfg", "k", false)}}},
			wantErr: "couldn't find key k in ConfigMap ns/cfg",
		},
		{
			name:    "configMapKeyRef missing configmap",
			c:       corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: cmRef("x", "k", false)}}},
			wantErr: `configmap "x" not found`,
		},
		{
			name:    "secretKeyRef missing key",
			c:       corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: secretRef("sec", "k", false)}}},
			wantErr: "couldn't find key k in Secret ns/sec",
		},
		{
			name:    "secretKeyRef missing secret",
			c:       corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: secretRef("x", "k", false)}}},
			wantErr: `secret "x" not found`,
		},
		{
			name: "fieldRef",
			c: corev1.Container{Env: []corev1.EnvVar{
				{Name: "NAME", ValueFrom: fieldRef("metadata.name")},
				{Name: "NS", ValueFrom: fieldRef("metadata.namespace")},
				{Name: "UID", ValueFrom: fieldRef("metadata.uid")},
				{Name: "APP", ValueFrom: fieldRef("metadata.labels['app']")},
				{Name: "NONE", ValueFrom: fieldRef("metadata.labels['none']")},
				{Name: "NOTE", ValueFrom: fieldRef("metadata.annotations['note']")},
				{Name: "LABELS", ValueFrom: fieldRef("metadata.labels")},
				{Name: "NODE", ValueFrom: fieldRef("spec.nodeName")},
				{Name: "SA", ValueFrom: fieldRef("spec.serviceAccountName")},
				{Name: "HOST", ValueFrom: fieldRef("status.hostIP")},
				{Name: "HOSTS", ValueFrom: fieldRef("status.hostIPs")},
				{Name: "IP", ValueFrom: fieldRef("status.podIP")},
				{Name: "IPS", ValueFrom: fieldRef("status.podIPs")},
				{Name: "REF", Value: "$(NAME).$(NS)"},
			}},
			want: []string{"NAME=web", "NS=ns", "UID=uid-1", "APP=web", "NONE=", "NOTE=a \"quoted\"\nline",
				"LABELS=app=\"web\"\ntier=\"front\"", "NODE=node-1", "SA=sa", "HOST=172.18.0.3", "HOSTS=172.18.0.3",
				"IP=10.244.1.5", "IPS=10.244.1.5,fd00::5", "REF=web.ns"},
		},
		{
			name:    "fieldRef unsupported",
			c:       corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: fieldRef("spec.bogus")}}},
			wantErr: "unsupported fieldPath: spec.bogus",
		},
		{
			name: "resourceFieldRef with limits",
			c: corev1.Container{Name: "app", Resources: withRes, Env: []corev1.EnvVar{
				{Name: "CPU_LIMIT", ValueFrom: resRef("limits.cpu", "")},
				{Name: "CPU_LIMIT_M", ValueFrom: resRef("limits.cpu", "1m")},
				{Name: "CPU_REQ", ValueFrom: resRef("requests.cpu", "")},
				{Name: "MEM_LIMIT", ValueFrom: resRef("limits.memory", "")},
				{Name: "MEM_LIMIT_MI", ValueFrom: resRef("limits.memory", "1Mi")},
				{Name: "MEM_REQ_MI", ValueFrom: resRef("requests.memory", "1Mi")},
			}},
			want: []string{"CPU_LIMIT=1", "CPU_LIMIT_M=250", "CPU_REQ=1", "MEM_LIMIT=67108864", "MEM_LIMIT_MI=64", "MEM_REQ_MI=32"},
		},
		{
			name: "resourceFieldRef unset limits are node allocatable",
			c: corev1.Container{Name: "app", Env: []corev1.EnvVar{
				{Name: "CPU", ValueFrom: resRef("limits.cpu", "")},
				{Name: "MEM", ValueFrom: resRef("limits.memory", "1Gi")},
				{Name: "REQ", ValueFrom: resRef("requests.cpu", "")},
			}},
			want: []string{"CPU=4", "MEM=8", "REQ=0"},
		},
		{
			name:    "resourceFieldRef unsupported",
			c:       corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: resRef("limits.gpu", "")}}},
			wantErr: "unsupported container resource : limits.gpu",
		},
		{
			name: "fileKeyRef unsupported",
			c: corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{
				FileKeyRef: &corev1.FileKeySelector{VolumeName: "v", Path: "p", Key: "k"}}}}},
			wantErr: "env var X: fileKeyRef is not supported",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pod := testPod(tt.c)
			got, err := Env(pod, &pod.Spec.Containers[0], tt.imageEnv, info, alloc, lookup)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Env error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Env: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Env =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestResourceFieldValueByContainerName(t *testing.T) {
	t.Parallel()
	pod := testPod(corev1.Container{Name: "app"})
	pod.Spec.InitContainers = []corev1.Container{{Name: "init", Resources: corev1.ResourceRequirements{
		Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("100M")}}}}
	tests := []struct {
		name, container, res, divisor, want, wantErr string
	}{
		{name: "init container limit", container: "init", res: "limits.memory", divisor: "1M", want: "100"},
		{name: "rounds up", container: "init", res: "limits.memory", divisor: "3M", want: "34"},
		{name: "unknown container", container: "nope", res: "limits.memory", wantErr: "container nope not found"},
		{name: "hugepages", container: "app", res: "limits.hugepages-2Mi", want: "0"},
		{name: "ephemeral storage from allocatable", container: "app", res: "limits.ephemeral-storage", divisor: "1Gi", want: "10"},
	}
	alloc := corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse("10Gi")}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs := &corev1.ResourceFieldSelector{ContainerName: tt.container, Resource: tt.res}
			if tt.divisor != "" {
				fs.Divisor = resource.MustParse(tt.divisor)
			}
			got, err := ResourceFieldValue(pod, nil, fs, alloc)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ResourceFieldValue = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestMetadataFieldValueErrors(t *testing.T) {
	t.Parallel()
	pod := testPod(corev1.Container{})
	tests := []struct{ path, want string }{
		{"spec.nodeName", "unsupported fieldPath: spec.nodeName"},
		{"metadata.name['x']", `fieldPath "metadata.name['x']" does not support subscript`},
		{"metadata.labels['bad key']", "invalid key subscript in metadata.labels['bad key']"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			_, err := MetadataFieldValue(pod, tt.path)
			if err == nil || len(err.Error()) < len(tt.want) || err.Error()[:len(tt.want)] != tt.want {
				t.Errorf("MetadataFieldValue(%q) error = %v, want prefix %q", tt.path, err, tt.want)
			}
		})
	}
}
