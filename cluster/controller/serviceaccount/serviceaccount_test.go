package serviceaccount

import (
	"context"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/apiserver/apiservertest"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func TestDefaultServiceAccount(t *testing.T) {
	t.Parallel()
	c := kubernetes.NewForConfigOrDie(apiservertest.Start(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go New(c, nil).Run(ctx)
	if _, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	wait := func(ns, what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if _, err := c.CoreV1().ServiceAccounts(ns).Get(ctx, Name, metav1.GetOptions{}); err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no default service account in %s %s", ns, what)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, ns := range []string{"default", "kube-system", "team"} {
		wait(ns, "after start")
	}
	if err := c.CoreV1().ServiceAccounts("team").Delete(ctx, Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	wait("team", "after it was deleted")
}
