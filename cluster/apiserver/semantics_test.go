package apiserver

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/minidev/mini/cluster/store"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// semanticsServer serves a fresh store with a fixed clock, with the
// default namespace.
func semanticsServer(t *testing.T) (kubernetes.Interface, string) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := func() time.Time { return printerNow }
	ts := httptest.NewServer(New(Config{Store: st, Now: now}).Handler())
	t.Cleanup(ts.Close)
	c, err := kubernetes.NewForConfig(&rest.Config{Host: ts.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return c, ts.URL
}

// TestSemanticsOverHTTP: defaults, validation and tables as client-go
// and kubectl meet them.
func TestSemanticsOverHTTP(t *testing.T) {
	t.Parallel()
	c, url := semanticsServer(t)
	ctx := context.Background()
	pods := c.CoreV1().Pods("default")

	pod, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Status.Phase != corev1.PodPending || pod.Spec.Containers[0].ImagePullPolicy != corev1.PullAlways || pod.Spec.ServiceAccountName != "default" {
		t.Errorf("pod not defaulted: %+v", pod.Spec)
	}

	// The scheduler binds through pods/binding; then the spec is frozen.
	if err := pods.Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Target: corev1.ObjectReference{Kind: "Node", Name: "node-1"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	pod, err = pods.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod.Spec.Containers[0].Image = "nginx:1.28"
	if pod, err = pods.Update(ctx, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("image update: %v", err)
	}
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "A", Value: "1"}}
	_, err = pods.Update(ctx, pod, metav1.UpdateOptions{})
	if !apierrors.IsInvalid(err) || causeField(err) != "spec" {
		t.Errorf("env update: %v", err)
	}

	_, err = pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "empty"}}, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || causeField(err) != "spec.containers" {
		t.Errorf("pod without containers: %v", err)
	}

	job, err := c.BatchV1().Jobs("default").Create(ctx, &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi"}, Spec: batchv1.JobSpec{
		Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "pi", Image: "perl"}}}}}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if uid := job.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel]; uid == "" || uid != string(job.UID) || job.Labels[batchv1.JobNameLabel] != "pi" {
		t.Errorf("job selector %v, labels %v, uid %s", job.Spec.Selector, job.Labels, job.UID)
	}

	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: appsv1.DeploymentSpec{
		Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "other"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}}}}}
	_, err = c.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) || causeField(err) != "spec.template.metadata.labels" {
		t.Errorf("mismatched deployment: %v", err)
	}
	d.Spec.Template.Labels["app"] = "web"
	if d, err = c.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if ptr.Deref(d.Spec.Replicas, 0) != 1 || d.Spec.Template.Spec.DNSPolicy != corev1.DNSClusterFirst {
		t.Errorf("deployment not defaulted: %+v", d.Spec)
	}

	req, _ := http.NewRequest(http.MethodGet, url+"/apis/apps/v1/namespaces/default/deployments", nil)
	req.Header.Set("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var table metav1.Table
	if err := json.NewDecoder(resp.Body).Decode(&table); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, col := range table.ColumnDefinitions {
		names = append(names, col.Name)
	}
	wantCols := []string{"Name", "Ready", "Up-to-date", "Available", "Age", "Containers", "Images", "Selector"}
	if len(table.Rows) != 1 || len(names) != len(wantCols) || names[1] != "Ready" || table.Rows[0].Cells[1] != "0/1" || table.Rows[0].Cells[4] != "0s" {
		t.Errorf("table columns %v, rows %+v", names, table.Rows)
	}
}

// causeField is the field of the first cause of a 422.
func causeField(err error) string {
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return ""
	}
	if d := status.Status().Details; d != nil && len(d.Causes) > 0 {
		return d.Causes[0].Field
	}
	return ""
}
