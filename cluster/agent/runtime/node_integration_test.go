package runtime

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The tests below need root and a node container (or a machine like one):
// build with `CGO_ENABLED=0 go test -c`, copy the binary and a static
// busybox into a node, and run it there with MINI_RUNTIME_NODE_TEST=1
// (MINI_RUNTIME_BUSYBOX names the busybox, default /busybox).

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type nodeEnv struct {
	rt            *Runtime
	base          string
	lower, upper  string // image layers
	netns         string
	stateDir, dir string
}

func setupNode(t *testing.T) *nodeEnv {
	t.Helper()
	if testing.Short() || os.Getenv("MINI_RUNTIME_NODE_TEST") != "1" {
		t.Skip("needs a node container: set MINI_RUNTIME_NODE_TEST=1 there")
	}
	busybox := os.Getenv("MINI_RUNTIME_BUSYBOX")
	if busybox == "" {
		busybox = "/busybox"
	}
	base := filepath.Join("/var/lib/mini/rt-test", strings.ReplaceAll(t.Name(), "/", "_"))
	_ = os.RemoveAll(base)
	e := &nodeEnv{base: base, lower: filepath.Join(base, "layer1"), upper: filepath.Join(base, "layer2"),
		netns: filepath.Join("/run/mini-rt-test", t.Name()), stateDir: filepath.Join(base, "containers")}
	bin := filepath.Join(e.lower, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	data, err := os.ReadFile(busybox)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(bin, "busybox"), data, 0o755))
	for _, a := range strings.Fields("sh ps id mount cat hostname tty sleep echo ls touch grep dd head pwd mkdir umount") {
		must(t, os.Symlink("busybox", filepath.Join(bin, a)))
	}
	must(t, os.MkdirAll(filepath.Join(e.lower, "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(e.lower, "etc/msg"), []byte("base\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(e.lower, "etc/only-base"), []byte("kept\n"), 0o644))
	must(t, os.MkdirAll(filepath.Join(e.upper, "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(e.upper, "etc/msg"), []byte("top\n"), 0o644))
	must(t, newNetNS(e.netns))
	rt, err := New(Config{StateDir: e.stateDir, CgroupParent: "mini-rt-test"})
	must(t, err)
	e.rt = rt
	t.Cleanup(func() {
		if err := rt.Cleanup(); err != nil {
			t.Errorf("Cleanup: %v", err)
		}
		if err := rt.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		for ctrl, d := range rt.cg.base {
			if _, err := os.Stat(d); !os.IsNotExist(err) {
				t.Errorf("%s cgroup %s left after Close: %v", ctrl, d, err)
			}
		}
		if entries, _ := os.ReadDir(e.stateDir); len(entries) != 0 {
			t.Errorf("state dirs left after Cleanup: %v", entries)
		}
		_ = unix.Unmount(e.netns, unix.MNT_DETACH)
		_ = os.RemoveAll(base)
	})
	return e
}

// newNetNS makes a network namespace kept by a bind mount at path, without
// a process (package network does this for pods).
func newNetNS(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(path, nil, 0o444); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		goruntime.LockOSThread() // never unlocked: the thread dies in the new namespace
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		errc <- unix.Mount(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()), path, "", unix.MS_BIND, "")
	}()
	return <-errc
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *nodeEnv) spec(id string, args ...string) Spec {
	return Spec{ID: id, Group: "pod-uid-1", Layers: []string{e.lower, e.upper}, Hostname: "pod-a",
		NetNS: e.netns, Args: args, Env: []string{"PATH=/bin", "HOME=/"}, Cwd: "/"}
}

// run starts s, waits for its end and returns its output and status.
func (e *nodeEnv) run(t *testing.T, s Spec) (string, ExitStatus) {
	t.Helper()
	var out syncBuffer
	s.Stdout, s.Stderr = &out, &out
	c, err := e.rt.Start(context.Background(), s)
	if err != nil {
		t.Fatalf("Start %s: %v", s.ID, err)
	}
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not end", s.ID)
	}
	must(t, e.rt.Remove(s.ID))
	return out.String(), c.Status()
}

func TestNodeContainer(t *testing.T) {
	e := setupNode(t)
	ok, why := e.rt.Cgroups()
	t.Logf("cgroups usable: %v %s", ok, why)

	t.Run("isolation", func(t *testing.T) {
		out, st := e.run(t, e.spec("iso", "sh", "-c",
			"ps -o pid,args; hostname; id; cat /etc/msg /etc/only-base; ls /sys/class/net; grep -E 'Cap(Eff|Bnd)|NoNewPrivs' /proc/self/status; cat /proc/kcore | head -c 10; ls /sys/firmware"))
		t.Logf("output:\n%s", out)
		if st.Code != 0 {
			t.Errorf("exit %d", st.Code)
		}
		for _, want := range []string{"    1 sh -c", "pod-a\n", "uid=0 gid=0", "top\nkept\n", "lo\n",
			"CapEff:\t00000000a80425fb", "CapBnd:\t00000000a80425fb", "NoNewPrivs:\t1"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q", want)
			}
		}
		if n := strings.Count(out, "\n    "); n > 3 { // ps: sh, ps (and the header)
			t.Errorf("ps shows %d processes, want only the container's", n)
		}
		if strings.Contains(out, "eth0") || strings.Contains(out, "mini agent") {
			t.Errorf("node's network or processes visible")
		}
	})
	t.Run("confinement", func(t *testing.T) {
		out, st := e.run(t, e.spec("conf", "sh", "-c",
			"mount -t tmpfs t /etc; echo mount=$?; touch /sys/x; echo sys=$?; echo 1 > /proc/sys/vm/overcommit_memory; echo procsys=$?; touch /ok; echo root=$?"))
		t.Logf("output:\n%s", out)
		for _, want := range []string{"mount=1", "permission denied", "sys=1", "Read-only file system", "procsys=1", "root=0"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q", want)
			}
		}
		_ = st
	})
	t.Run("user", func(t *testing.T) {
		s := e.spec("user", "sh", "-c", "id; grep -E 'CapEff|CapPrm' /proc/self/status; touch /etc/x")
		s.User = User{UID: 1000, GID: 1001, AdditionalGIDs: []uint32{10, 20}}
		out, st := e.run(t, s)
		t.Logf("output:\n%s", out)
		for _, want := range []string{"uid=1000 gid=1001 groups=10,20", "CapEff:\t0000000000000000", "CapPrm:\t0000000000000000", "Permission denied"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q", want)
			}
		}
		if st.Code == 0 {
			t.Errorf("touch /etc/x as uid 1000 succeeded")
		}
	})
	t.Run("caps add drop", func(t *testing.T) {
		s := e.spec("caps", "grep", "CapEff", "/proc/self/status")
		s.CapDrop, s.CapAdd = []string{"ALL"}, []string{"NET_ADMIN", "CHOWN"}
		out, _ := e.run(t, s)
		if want := fmt.Sprintf("CapEff:\t%016x", uint64(1<<unix.CAP_NET_ADMIN|1<<unix.CAP_CHOWN)); !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	})
	t.Run("exit code", func(t *testing.T) {
		if _, st := e.run(t, e.spec("exit7", "sh", "-c", "exit 7")); st.Code != 7 || st.Signal != 0 || st.FinishedAt.Before(st.StartedAt) {
			t.Errorf("status %+v, want code 7", st)
		}
	})
	t.Run("signal", func(t *testing.T) {
		c, err := e.rt.Start(context.Background(), e.spec("sig", "sleep", "100"))
		must(t, err)
		must(t, c.Signal(syscall.SIGKILL))
		<-c.Done()
		if st := c.Status(); st.Code != 137 || st.Signal != syscall.SIGKILL || st.OOMKilled {
			t.Errorf("status %+v, want 137 SIGKILL", st)
		}
		must(t, e.rt.Remove("sig"))
	})
	t.Run("executable not found", func(t *testing.T) {
		_, err := e.rt.Start(context.Background(), e.spec("nf", "nope"))
		if err == nil || !strings.Contains(err.Error(), `exec: "nope": executable file not found in $PATH`) {
			t.Fatalf("err = %v", err)
		}
		t.Logf("error: %v", err)
		if _, err := os.Stat(filepath.Join(e.stateDir, "nf")); !os.IsNotExist(err) {
			t.Errorf("state dir of a failed start left: %v", err)
		}
	})
	t.Run("stdin cwd mounts", func(t *testing.T) {
		src := filepath.Join(e.base, "vol")
		must(t, os.MkdirAll(src, 0o755))
		must(t, os.WriteFile(filepath.Join(src, "f"), []byte("from node\n"), 0o644))
		must(t, os.WriteFile(filepath.Join(e.base, "hosts"), []byte("10.0.0.1 x\n"), 0o644))
		s := e.spec("mnt", "sh", "-c", "pwd; cat; cat /data/f /etc/hosts; touch /data/g; echo data=$?; touch /scratch/s && echo scratch=ok")
		s.Cwd = "/work/dir"
		s.Stdin = strings.NewReader("from stdin\n")
		s.Mounts = []Mount{{Source: src, Destination: "/data", ReadOnly: true},
			{Source: filepath.Join(e.base, "hosts"), Destination: "/etc/hosts"},
			{Type: "tmpfs", Destination: "/scratch", Options: []string{"size=1m"}}}
		out, _ := e.run(t, s)
		t.Logf("output:\n%s", out)
		for _, want := range []string{"/work/dir\n", "from stdin\n", "from node\n", "10.0.0.1 x\n", "data=1", "scratch=ok"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q", want)
			}
		}
	})
	t.Run("read-only rootfs", func(t *testing.T) {
		s := e.spec("ro", "sh", "-c", "touch /x; echo root=$?; touch /dev/shm/y; echo shm=$?")
		s.ReadOnlyRootfs = true
		out, _ := e.run(t, s)
		if !strings.Contains(out, "root=1") || !strings.Contains(out, "shm=0") {
			t.Errorf("output %q: want root=1 shm=0", out)
		}
	})
	t.Run("tty", func(t *testing.T) {
		s := e.spec("tty", "sh", "-c", "tty; echo done")
		s.TTY = true
		out, st := e.run(t, s)
		t.Logf("output: %q %+v", out, st)
		if !strings.Contains(out, "/dev/pts/0") || strings.Contains(out, "not a tty") {
			t.Errorf("output %q: want /dev/pts/0", out)
		}
	})
	t.Run("oom", func(t *testing.T) {
		if !ok {
			t.Skip("cgroups not usable: " + why)
		}
		s := e.spec("oom", "dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1")
		s.Resources = Resources{MemoryLimit: 32 << 20, PidsLimit: 50, CPULimitMilli: 500, CPUSharesMilli: 100}
		out, st := e.run(t, s)
		t.Logf("output %q status %+v", out, st)
		if !st.OOMKilled || st.Signal != syscall.SIGKILL {
			t.Errorf("status %+v, want OOMKilled by SIGKILL", st)
		}
	})
	t.Run("pids limit", func(t *testing.T) {
		if !ok {
			t.Skip("cgroups not usable: " + why)
		}
		s := e.spec("pids", "sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait; echo end")
		s.Resources = Resources{PidsLimit: 4}
		out, _ := e.run(t, s)
		t.Logf("output %q", out)
		if !strings.Contains(out, "can't fork") && !strings.Contains(out, "Resource temporarily unavailable") {
			t.Errorf("output %q: want fork failures", out)
		}
	})
}

func TestNodeExec(t *testing.T) {
	e := setupNode(t)
	c, err := e.rt.Start(context.Background(), e.spec("ex", "sleep", "1000"))
	must(t, err)
	ctx := context.Background()

	var out syncBuffer
	code, err := c.Exec(ctx, ExecSpec{Args: []string{"sh", "-c", "echo hi; ps -o pid,args; hostname; exit 3"}, Stdout: &out, Stderr: &out})
	t.Logf("exec output:\n%s", out.String())
	if err != nil || code != 3 {
		t.Errorf("Exec = %d, %v; want 3", code, err)
	}
	for _, want := range []string{"hi\n", "    1 sleep 1000", "pod-a"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("exec output lacks %q", want)
		}
	}

	var tty syncBuffer
	resize := make(chan Size, 1)
	resize <- Size{Width: 100, Height: 30}
	code, err = c.Exec(ctx, ExecSpec{Args: []string{"sh", "-c", "sleep 0.2; tty; stty size 2>/dev/null || echo nostty; grep CapEff /proc/self/status"}, TTY: true, Stdout: &tty, Resize: resize})
	t.Logf("tty exec output: %q", tty.String())
	if err != nil || code != 0 || !strings.Contains(tty.String(), "/dev/pts/") || strings.Contains(tty.String(), "not a tty") {
		t.Errorf("TTY Exec = %d, %v, %q; want a tty", code, err, tty.String())
	}
	if !strings.Contains(tty.String(), "00000000a80425fb") {
		t.Errorf("exec'd process caps: %q", tty.String())
	}

	var uo syncBuffer
	code, err = c.Exec(ctx, ExecSpec{Args: []string{"id"}, User: User{UID: 33, GID: 33}, Stdout: &uo})
	if err != nil || code != 0 || !strings.Contains(uo.String(), "uid=33 gid=33") {
		t.Errorf("Exec as 33 = %d, %v, %q", code, err, uo.String())
	}

	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	start := time.Now()
	code, err = c.Exec(cctx, ExecSpec{Args: []string{"sleep", "100"}})
	cancel()
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled Exec = %d, %v after %v; want a context error at once", code, err, time.Since(start))
	}
	t.Logf("cancelled exec: code %d err %v", code, err)

	if _, err := c.Exec(ctx, ExecSpec{Args: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "executable file not found") {
		t.Errorf("Exec nope: %v", err)
	}
	// cgroups of the exec'd process
	if ok, _ := e.rt.Cgroups(); ok {
		var cg syncBuffer
		_, _ = c.Exec(ctx, ExecSpec{Args: []string{"cat", "/proc/self/cgroup"}, Stdout: &cg})
		t.Logf("exec'd cgroups:\n%s", cg.String())
		if !strings.Contains(cg.String(), "/mini-rt-test/pod-uid-1/ex") {
			t.Errorf("exec'd process not in the container's cgroups")
		}
	}
	must(t, e.rt.Remove("ex"))
	if _, err := c.Exec(ctx, ExecSpec{Args: []string{"true"}}); err == nil {
		t.Errorf("Exec after Remove succeeded")
	}
	for _, ctrl := range []string{"memory", "pids"} {
		if d, ok := e.rt.cg.base[ctrl]; ok {
			if _, err := os.Stat(filepath.Join(d, "pod-uid-1")); !os.IsNotExist(err) {
				t.Errorf("group cgroup %s left after Remove: %v", d, err)
			}
		}
	}
}

func TestNodeThirtyContainers(t *testing.T) {
	e := setupNode(t)
	rss := func() string {
		b, _ := os.ReadFile("/proc/self/status")
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmRSS") {
				return strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:"))
			}
		}
		return "?"
	}
	before, g0 := rss(), goruntime.NumGoroutine()
	start := time.Now()
	var outs []*syncBuffer
	for i := range 30 {
		s := e.spec(fmt.Sprintf("many-%d", i), "sh", "-c", "echo up; exec sleep 1000")
		s.Group = fmt.Sprintf("pod-%d", i)
		s.Resources = Resources{MemoryLimit: 64 << 20}
		var out syncBuffer
		s.Stdout, s.Stderr = &out, &out
		outs = append(outs, &out)
		if _, err := e.rt.Start(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	time.Sleep(200 * time.Millisecond)
	t.Logf("30 containers started in %v (%v each); agent RSS %s -> %s, goroutines %d -> %d",
		took, took/30, before, rss(), g0, goruntime.NumGoroutine())
	for i, o := range outs {
		if o.String() != "up\n" {
			t.Errorf("container %d said %q", i, o.String())
		}
	}
	for i := range 30 {
		must(t, e.rt.Remove(fmt.Sprintf("many-%d", i)))
	}
}
