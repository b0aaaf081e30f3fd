package apiserver

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func testService(change func(s *corev1.Service)) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}}}
	if change != nil {
		change(s)
	}
	return s
}

func TestValidateService(t *testing.T) {
	t.Parallel()
	runValidationCases(t, "Service", []validationCase{
		{name: "valid", obj: testService(nil)},
		{name: "no ports", obj: testService(func(s *corev1.Service) { s.Spec.Ports = nil }),
			want: []string{"Required value spec.ports"}},
		{name: "headless without ports", obj: testService(func(s *corev1.Service) { s.Spec.Ports, s.Spec.ClusterIP = nil, "None" })},
		{name: "external name", obj: testService(func(s *corev1.Service) {
			s.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "db.example.com."}
		})},
		{name: "external name missing", obj: testService(func(s *corev1.Service) {
			s.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName}
		}), want: []string{"Required value spec.externalName"}},
		{name: "port out of range", obj: testService(func(s *corev1.Service) { s.Spec.Ports[0].Port = 0 }),
			want: []string{"Invalid value spec.ports[0].port", "Invalid value spec.ports[0].targetPort"}},
		{name: "names required with two ports", obj: testService(func(s *corev1.Service) {
			s.Spec.Ports = []corev1.ServicePort{{Name: "http", Port: 80}, {Port: 443}}
		}), want: []string{"Required value spec.ports[1].name"}},
		{name: "duplicate port names", obj: testService(func(s *corev1.Service) {
			s.Spec.Ports = []corev1.ServicePort{{Name: "http", Port: 80}, {Name: "http", Port: 8080}}
		}), want: []string{"Duplicate value spec.ports[1].name"}},
		{name: "duplicate ports", obj: testService(func(s *corev1.Service) {
			s.Spec.Ports = []corev1.ServicePort{{Name: "a", Port: 80}, {Name: "b", Port: 80}}
		}), want: []string{"Duplicate value spec.ports[1]"}},
		{name: "unknown type", obj: testService(func(s *corev1.Service) { s.Spec.Type = "Ingress" }),
			want: []string{"Unsupported value spec.type"}},
		{name: "node port on a cluster IP service", obj: testService(func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 30080 }),
			want: []string{"Forbidden spec.ports[0].nodePort"}},
		{name: "node port on a node port service", obj: testService(func(s *corev1.Service) {
			s.Spec.Type, s.Spec.Ports[0].NodePort = corev1.ServiceTypeNodePort, 30080
		})},
		{name: "target port name", obj: testService(func(s *corev1.Service) {
			s.Spec.Ports[0].TargetPort.Type, s.Spec.Ports[0].TargetPort.StrVal = 1, "web_port"
		}),
			want: []string{"Invalid value spec.ports[0].targetPort"}},
	})
}

func TestValidateConfigMapAndSecret(t *testing.T) {
	t.Parallel()
	cm := func(data map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default"}, Data: data}
	}
	runValidationCases(t, "ConfigMap", []validationCase{
		{name: "valid", obj: cm(map[string]string{"app.properties": "a=1", "KEY_2": "x"})},
		{name: "bad key", obj: cm(map[string]string{"a b": "1"}), want: []string{"Invalid value data[a b]"}},
		{name: "key in both", obj: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}, Data: map[string]string{"k": "1"}, BinaryData: map[string][]byte{"k": {1}}},
			want: []string{"Invalid value data[k]"}},
		{name: "too big", obj: cm(map[string]string{"big": strings.Repeat("x", maxConfigSize+1)}), want: []string{"Too long []"}},
		{name: "immutable", old: &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}, Immutable: ptr.To(true), Data: map[string]string{"k": "1"}},
			obj:  &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg"}, Immutable: ptr.To(true), Data: map[string]string{"k": "2"}},
			want: []string{"Forbidden data"}},
	})
	secret := func(typ corev1.SecretType, data map[string][]byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "default"}, Type: typ, Data: data}
	}
	runValidationCases(t, "Secret", []validationCase{
		{name: "valid", obj: secret("", map[string][]byte{"password": []byte("x")})},
		{name: "bad key", obj: secret("", map[string][]byte{"a/b": nil}), want: []string{"Invalid value data[a/b]"}},
		{name: "too big", obj: secret("", map[string][]byte{"big": make([]byte, maxConfigSize+1)}), want: []string{"Too long data"}},
		{name: "tls without keys", obj: secret(corev1.SecretTypeTLS, nil), want: []string{"Required value data[tls.crt]", "Required value data[tls.key]"}},
		{name: "docker config not JSON", obj: secret(corev1.SecretTypeDockerConfigJson, map[string][]byte{".dockerconfigjson": []byte("{")}),
			want: []string{"Invalid value data[.dockerconfigjson]"}},
		{name: "type changed", old: secret("", nil), obj: secret(corev1.SecretTypeBasicAuth, map[string][]byte{"username": nil}),
			want: []string{"Invalid value type"}},
	})
}
