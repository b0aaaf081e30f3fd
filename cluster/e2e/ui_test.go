package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// realDeployment runs the test server on the real node.
const realDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: srv}
spec:
  replicas: 1
  selector: {matchLabels: {app: srv}}
  template:
    metadata: {labels: {app: srv}}
    spec:
      nodeSelector: {mini.dev/node: real}
      containers: [{name: srv, image: "mini-test/server:v1", imagePullPolicy: IfNotPresent}]
`

// tmuxUI is `mini ui` running in a detached tmux session.
type tmuxUI struct {
	t       *testing.T
	session string
}

func startUI(t *testing.T, e *env, name string) *tmuxUI {
	t.Helper()
	u := &tmuxUI{t: t, session: "mini-e2e-" + name}
	cmd := exec.Command("tmux", "new-session", "-d", "-s", u.session, "-x", "120", "-y", "30",
		"env", "MINI_HOME="+e.home, binary, "ui", "--name", name, "-n", "default")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("tmux", "kill-session", "-t", u.session).Run() })
	return u
}

func (u *tmuxUI) capture() string {
	out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", u.session).Output()
	return string(out)
}

func (u *tmuxUI) keys(k ...string) {
	u.t.Helper()
	if out, err := exec.Command("tmux", append([]string{"send-keys", "-t", u.session}, k...)...).CombinedOutput(); err != nil {
		u.t.Fatalf("send-keys: %v %s", err, out)
	}
}

// esc presses Escape alone: an Escape followed at once by another key
// reads as alt+key.
func (u *tmuxUI) esc() {
	u.t.Helper()
	u.keys("Escape")
	time.Sleep(300 * time.Millisecond)
}

// filter types /text and enter: the first matching row is selected.
func (u *tmuxUI) filter(text string) {
	u.t.Helper()
	u.keys("/")
	for _, r := range text {
		u.keys(string(r))
	}
	u.keys("Enter")
}

// wait polls the screen until cond holds.
func (u *tmuxUI) wait(timeout time.Duration, what string, cond func(string) bool) string {
	u.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s := u.capture()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			u.t.Fatalf("screen never showed %s in %s:\n%s", what, timeout, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func shows(parts ...string) func(string) bool {
	return func(s string) bool {
		for _, p := range parts {
			if !strings.Contains(s, p) {
				return false
			}
		}
		return true
	}
}

// TestUI drives the real `mini ui` in tmux against a real cluster: the
// Deployment's pods show up Running; `d` on a pod deletes it and a
// replacement appears; `l` on a pod of the real node follows its log
// ("listening on :8080"), on a simulated one says why there is none; the
// workloads view says what is happening; the API going away (`mini stop`)
// shows a banner and `mini start` brings the data back without a restart;
// q quits.
func TestUI(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed for this test: install it (apt-get install tmux)")
	}
	e := newEnv(t)
	ensureTestImages(t)
	name := uniqueName("hui")
	e.up(name, "--nodes", "1", "--simulated-nodes", "3", "--no-kubeconfig-merge")
	c := e.client(name)
	applyDeployment(t, e, name, "1")
	waitPods(t, c, 30*time.Second, "6 Running pods", running(6, "1"))

	began := time.Now()
	u := startUI(t, e, name)
	u.keys("3") // the Pods view
	u.wait(15*time.Second, "6 Running web pods", func(s string) bool { return strings.Count(s, "Running") >= 6 && strings.Contains(s, "web-") })
	t.Logf("the pods view showed the 6 Running pods %s after tmux started mini ui (tmux itself included)", time.Since(began).Round(time.Millisecond))
	before := map[string]bool{}
	for _, p := range waitPods(t, c, time.Second, "pods", running(6, "1")) {
		before[p.Name] = true
	}
	u.filter("web") // then act on the selected (first) pod
	u.keys("d")
	u.wait(15*time.Second, "a delete confirmation", func(s string) bool {
		return strings.Contains(strings.ToLower(s), "delete") && strings.Contains(s, "y/n")
	})
	u.keys("y")
	pods := waitPods(t, c, 20*time.Second, "a replacement pod", func(p []corev1.Pod) bool {
		fresh := 0
		for _, x := range p {
			if !before[x.Name] && x.Status.Phase == corev1.PodRunning {
				fresh++
			}
		}
		return fresh == 1 && running(6, "1")(p)
	})
	for _, p := range pods {
		if !before[p.Name] {
			u.wait(15*time.Second, "the replacement "+p.Name, shows(p.Name))
		}
	}

	// The deleted pod's row stays a second (it flashes), then goes.
	u.wait(15*time.Second, "6 web pods and no deleted row", func(s string) bool {
		return strings.Count(s, "\ndefault    web-") == 6 && !strings.Contains(s, "Terminating")
	})
	// A pod of a simulated node has no log: the pane says why.
	u.keys("l")
	u.wait(15*time.Second, "why a simulated pod has no log", shows("Logs pod/web-", "simulated node", "it has no containers"))
	u.esc()
	u.esc() // the filter

	// A real pod's log, followed.
	f := filepath.Join(t.TempDir(), "srv.yaml")
	if err := os.WriteFile(f, []byte(realDeployment), 0o644); err != nil {
		t.Fatal(err)
	}
	e.must("apply", "--name", name, "-f", f)
	u.keys("2")
	u.wait(60*time.Second, "srv steady", func(s string) bool {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, " srv ") && strings.Contains(l, "steady") {
				return true
			}
		}
		return false
	})
	u.keys("3")
	u.filter("srv-")
	u.wait(15*time.Second, "the srv pod Running", shows("srv-", "Running"))
	u.keys("l")
	u.wait(15*time.Second, "the srv log", shows("Logs pod/srv-", "following", "listening on :8080"))
	u.esc()
	u.esc()

	// The API goes away and comes back: a banner, then data again.
	e.must("stop", "--name", name)
	u.wait(30*time.Second, "the unreachable banner", shows("API unreachable", "retrying in"))
	e.must("start", "--name", name)
	u.wait(60*time.Second, "recovery", func(s string) bool {
		return !strings.Contains(s, "unreachable") && strings.Count(s, "Running") >= 6
	})
	u.keys("q")
	deadline := time.Now().Add(10 * time.Second)
	for exec.Command("tmux", "has-session", "-t", u.session).Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("mini ui did not quit on q:\n%s", u.capture())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
