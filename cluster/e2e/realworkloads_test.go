package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// TestWorkloadsOnRealNodes: controllers over real containers. A
// StatefulSet starts in order with stable names; a DaemonSet follows a node
// added with `mini node add`; a Job of 3 completions, 2 at a time,
// completes; a killed node's pods come back on the others after the
// cluster's toleration time.
func TestWorkloadsOnRealNodes(t *testing.T) {
	e := newEnv(t)
	ensureTestImages(t)
	name := uniqueName("rw")
	e.up(name, "--nodes", "2", "--node-monitor-grace", "10s", "--default-toleration-seconds", "5")
	p := &podEnv{t: t, c: e.client(name), cfg: e.restConfig(name), nsName: "default"}
	waitNodes(t, p.c, time.Minute, "2 Ready nodes", allReady(2))
	ctx := context.Background()
	// A CronJob every minute, made first: it fires while the rest runs.
	cron := &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "tick"},
		Spec: batchv1.CronJobSpec{Schedule: "*/1 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
			Template: corev1.PodTemplateSpec{Spec: busyboxPod("", "", corev1.RestartPolicyNever, "echo tick").Spec},
		}}},
	}
	if _, err := p.c.BatchV1().CronJobs("default").Create(ctx, cron, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cronCreated := time.Now()

	t.Run("StatefulSet starts in order with stable names", func(t *testing.T) {
		if _, err := p.c.AppsV1().StatefulSets("default").Create(ctx, statefulSet("web", 3), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		var pods [3]*corev1.Pod
		for i, n := range []string{"web-0", "web-1", "web-2"} {
			pods[i] = p.waitPod(t, n, time.Minute, "Running and Ready", isRunningReady)
		}
		for i := 1; i < 3; i++ {
			if readySince(pods[i-1]).After(pods[i].CreationTimestamp.Time) {
				t.Errorf("%s was created at %s, before %s was Ready (%s)", pods[i].Name, pods[i].CreationTimestamp, pods[i-1].Name, readySince(pods[i-1]))
			}
			if pods[i].Spec.Hostname != pods[i].Name || pods[i].Spec.Subdomain != "web" {
				t.Errorf("%s: hostname %q subdomain %q", pods[i].Name, pods[i].Spec.Hostname, pods[i].Spec.Subdomain)
			}
		}
		// A deleted pod comes back under its name.
		old := pods[1].UID
		if err := p.c.CoreV1().Pods("default").Delete(ctx, "web-1", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		p.waitPod(t, "web-1", time.Minute, "back, Running and Ready", func(p *corev1.Pod) bool { return p.UID != old && isRunningReady(p) })
	})

	t.Run("DaemonSet follows mini node add", func(t *testing.T) {
		ds := &appsv1.DaemonSet{
			ObjectMeta: metav1.ObjectMeta{Name: "agent"},
			Spec: appsv1.DaemonSetSpec{
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "agent"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "agent"}},
					Spec:       busyboxPod("", "", corev1.RestartPolicyAlways, "sleep 3600").Spec,
				},
			},
		}
		if _, err := p.c.AppsV1().DaemonSets("default").Create(ctx, ds, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitDaemonPods(t, p, 2)
		e.must("node", "add", "--name", name)
		pods := waitDaemonPods(t, p, 3)
		onNew := false
		for _, pod := range pods {
			onNew = onNew || pod.Spec.NodeName == name+"-node-3"
		}
		if !onNew {
			t.Errorf("no agent pod on the added node %s-node-3", name)
		}
	})

	t.Run("Job of 3 completions, 2 at a time", func(t *testing.T) {
		job := &batchv1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: "count"},
			Spec: batchv1.JobSpec{
				Completions: ptr.To[int32](3), Parallelism: ptr.To[int32](2),
				Template: corev1.PodTemplateSpec{Spec: busyboxPod("", "", corev1.RestartPolicyNever, "echo done").Spec},
			},
		}
		if _, err := p.c.BatchV1().Jobs("default").Create(ctx, job, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * time.Minute)
		for {
			j, err := p.c.BatchV1().Jobs("default").Get(ctx, "count", metav1.GetOptions{})
			if err == nil && j.Status.Succeeded == 3 && hasJobCondition(j, batchv1.JobComplete) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job not complete after 2 min: %+v", j.Status)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("CronJob fires", func(t *testing.T) {
		waitFor(t, 90*time.Second, "a Job of the CronJob completed", func() bool {
			c, err := p.c.BatchV1().CronJobs("default").Get(ctx, "tick", metav1.GetOptions{})
			return err == nil && c.Status.LastSuccessfulTime != nil
		})
		t.Logf("the CronJob's first Job completed %s after the CronJob was made", time.Since(cronCreated).Round(time.Second))
	})

	t.Run("a killed node's pods come back elsewhere", func(t *testing.T) {
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "spread"},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](3),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "spread"}},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "spread"}},
					Spec:       busyboxPod("", "", corev1.RestartPolicyAlways, "sleep 3600").Spec,
				},
			},
		}
		if _, err := p.c.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		victim := name + "-node-2"
		running := func(exclude string) int {
			l, err := p.c.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=spread"})
			if err != nil {
				return 0
			}
			n := 0
			for _, pod := range l.Items {
				if pod.DeletionTimestamp == nil && pod.Spec.NodeName != exclude && isRunningReady(&pod) {
					n++
				}
			}
			return n
		}
		waitFor(t, time.Minute, "3 spread pods Running", func() bool { return running("") == 3 })
		docker(t, "kill", "mini-"+victim)
		began := time.Now()
		waitNodes(t, p.c, time.Minute, victim+" NotReady", func(nodes []corev1.Node) bool {
			for i := range nodes {
				if nodes[i].Name == victim {
					return readiness(&nodes[i]) != "True"
				}
			}
			return false
		})
		t.Logf("%s NotReady %s after the kill", victim, time.Since(began).Round(time.Second))
		waitFor(t, 2*time.Minute, "3 spread pods Running on the other nodes", func() bool { return running(victim) == 3 })
		t.Logf("3 pods Running off %s %s after the kill (grace 10 s + toleration 5 s)", victim, time.Since(began).Round(time.Second))
		docker(t, "start", "mini-"+victim)
	})
}

func readySince(p *corev1.Pod) time.Time {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}

func hasJobCondition(j *batchv1.Job, t batchv1.JobConditionType) bool {
	for _, c := range j.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// waitDaemonPods waits for n Running agent pods on n distinct nodes.
func waitDaemonPods(t *testing.T, p *podEnv, n int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	waitFor(t, 2*time.Minute, "the DaemonSet's pods on every node", func() bool {
		l, err := p.c.CoreV1().Pods("default").List(context.Background(), metav1.ListOptions{LabelSelector: "app=agent"})
		if err != nil {
			return false
		}
		nodes := map[string]bool{}
		for _, pod := range l.Items {
			if pod.Status.Phase == corev1.PodRunning {
				nodes[pod.Spec.NodeName] = true
			}
		}
		pods = l.Items
		return len(nodes) == n && len(l.Items) == n
	})
	return pods
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestRollingUpdateWithoutErrors: a Deployment with maxUnavailable 0 is
// restarted while a client calls its Service (NodePort, a new connection
// each time) every 50 ms: not one call fails. The pods drain as
// Kubernetes users make them: a preStop sleep keeps a terminating pod
// serving until the proxies have dropped it.
func TestRollingUpdateWithoutErrors(t *testing.T) {
	e := newEnv(t)
	ensureTestImages(t)
	name := uniqueName("roll")
	e.up(name, "--nodes", "3")
	p := &podEnv{t: t, c: e.client(name), cfg: e.restConfig(name), nsName: "default"}
	waitNodes(t, p.c, time.Minute, "3 Ready nodes", allReady(3))
	ctx := context.Background()
	pod := serverPod("", "")
	pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](10)
	pod.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 2}}}
	labels := map[string]string{"app": "roll"}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "roll"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType, RollingUpdate: &appsv1.RollingUpdateDeployment{
				MaxUnavailable: ptr.To(intstr.FromInt32(0)), MaxSurge: ptr.To(intstr.FromInt32(1)),
			}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod.Spec},
		},
	}
	if _, err := p.c.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "roll"}, Spec: corev1.ServiceSpec{
		Type: corev1.ServiceTypeNodePort, Selector: labels,
		Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromString("http")}}}}
	svc, err := p.c.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	e.must("rollout", "status", "--name", name, "deploy/roll", "--timeout", "2m")
	p.waitSlice(t, "roll", 3)
	url := fmt.Sprintf("http://%s:%d/hostname", p.nodeIP(t, name+"-node-1"), svc.Spec.Ports[0].NodePort)
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	call := func() (string, error) {
		resp, err := hc.Get(url)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("status %s", resp.Status)
		}
		return strings.TrimSpace(string(b)), err
	}
	waitFor(t, 30*time.Second, "the NodePort answering", func() bool { _, err := call(); return err == nil })

	stop := make(chan struct{})
	type result struct {
		calls, failed int
		pods          map[string]bool
		errs          []string
	}
	done := make(chan result)
	go func() {
		r := result{pods: map[string]bool{}}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				done <- r
				return
			case <-tick.C:
			}
			r.calls++
			host, err := call()
			if err != nil {
				r.failed++
				if len(r.errs) < 5 {
					r.errs = append(r.errs, err.Error())
				}
				continue
			}
			r.pods[host] = true
		}
	}()
	time.Sleep(500 * time.Millisecond)
	began := time.Now()
	e.must("rollout", "restart", "--name", name, "deploy/roll")
	e.must("rollout", "status", "--name", name, "deploy/roll", "--timeout", "3m")
	time.Sleep(time.Second)
	close(stop)
	r := <-done
	t.Logf("rollout restart took %s; %d calls every 50 ms, %d failed, answered by %d pods", time.Since(began).Round(time.Millisecond), r.calls, r.failed, len(r.pods))
	if r.failed > 0 {
		t.Errorf("%d of %d calls failed during the rolling update: %v", r.failed, r.calls, r.errs)
	}
	if len(r.pods) < 6 {
		t.Errorf("answers came from %d pods, want the 3 old and the 3 new", len(r.pods))
	}
}
