package image

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	const a, b = "sha256:aaaa", "sha256:bbbb"
	for _, tc := range []struct {
		name            string
		policy          corev1.PullPolicy
		local, host     string
		want            action
		wantErr         error
		wantErrContains bool
	}{
		{name: "never, present", policy: corev1.PullNever, local: a, want: useLocal},
		{name: "never, absent", policy: corev1.PullNever, wantErr: ErrNeverPull},
		{name: "ifnotpresent, present", policy: corev1.PullIfNotPresent, local: a, want: useLocal},
		{name: "ifnotpresent, absent", policy: corev1.PullIfNotPresent, want: fetch},
		{name: "always, same as host", policy: corev1.PullAlways, local: a, host: a, want: useLocal},
		{name: "always, host changed", policy: corev1.PullAlways, local: a, host: b, want: fetch},
		{name: "always, absent", policy: corev1.PullAlways, host: a, want: fetch},
		{name: "bogus", policy: "Sometimes", wantErrContains: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := decide(tc.policy, tc.local, tc.host)
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("decide = %v, %v; want %v", got, err, tc.wantErr)
				}
			case tc.wantErrContains:
				if err == nil {
					t.Fatalf("decide = %v, want an error", got)
				}
			case err != nil || got != tc.want:
				t.Fatalf("decide = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestEffectivePolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		policy corev1.PullPolicy
		ref    string
		want   corev1.PullPolicy
	}{
		{"", "docker.io/library/busybox:latest", corev1.PullAlways},
		{"", "docker.io/library/busybox:1.36", corev1.PullIfNotPresent},
		{"", "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", corev1.PullIfNotPresent},
		{corev1.PullNever, "docker.io/library/busybox:latest", corev1.PullNever},
		{corev1.PullAlways, "docker.io/library/busybox:1.36", corev1.PullAlways},
	} {
		t.Run(string(tc.policy)+" "+tc.ref, func(t *testing.T) {
			t.Parallel()
			if got, err := effectivePolicy(tc.policy, tc.ref); err != nil || got != tc.want {
				t.Errorf("effectivePolicy(%q, %q) = %q, %v; want %q", tc.policy, tc.ref, got, err, tc.want)
			}
		})
	}
	if _, err := effectivePolicy("Sometimes", "x"); err == nil {
		t.Error("effectivePolicy(Sometimes) succeeded")
	}
}
