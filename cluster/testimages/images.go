package testimages

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/minidev/mini/nodeimage"
)

// The test images' references.
const (
	// Server is FROM scratch + the static test server at /server,
	// ENTRYPOINT ["/server"], exposing 8080/tcp (HTTP) and 8081/udp (echo).
	Server = "mini-test/server:v1"
	// Busybox is FROM scratch + busybox and its applets in /bin, CMD ["sh"].
	Busybox = "mini-test/busybox:v1"
)

// BusyboxPath is where the host's static busybox is expected (Debian's
// busybox-static package installs it there).
const BusyboxPath = "/bin/busybox"

// Users and groups of both images: root and nobody (65534).
const (
	passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
	group  = "root:x:0:\nnobody:x:65534:\n"
)

// baseFiles are the directories and files both images hold besides their
// program: /etc/passwd, /etc/group, a sticky /tmp, and the mount points a
// runtime mounts over.
func baseFiles() []nodeimage.File {
	return []nodeimage.File{
		nodeimage.Bytes("/etc/passwd", 0o644, []byte(passwd)),
		nodeimage.Bytes("/etc/group", 0o644, []byte(group)),
		nodeimage.Dir("/tmp", 0o1777),
		nodeimage.Dir("/root", 0o700),
		nodeimage.Dir("/dev", 0o755),
		nodeimage.Dir("/proc", 0o555),
		nodeimage.Dir("/sys", 0o555),
	}
}

// ServerImage returns the Server image holding the test server binary at
// binaryPath (a static Linux executable).
func ServerImage(binaryPath string) nodeimage.Image {
	return nodeimage.Image{
		Ref:   Server,
		Files: append(baseFiles(), nodeimage.Copy("/server", 0o755, binaryPath)),
		Config: nodeimage.Config{
			Entrypoint:   []string{"/server"},
			ExposedPorts: []string{"8080/tcp", "8081/udp"},
		},
		CreatedBy: "mini testimages: COPY testserver /server",
	}
}

// BusyboxImage returns the Busybox image of the static busybox at
// busyboxPath, with a symlink in /bin for each applet it lists.
func BusyboxImage(ctx context.Context, busyboxPath string) (nodeimage.Image, error) {
	static, err := nodeimage.IsStatic(busyboxPath)
	if err != nil {
		return nodeimage.Image{}, fmt.Errorf("busybox image: check %s: %w; install Debian's busybox-static (make deps)", busyboxPath, err)
	}
	if !static {
		return nodeimage.Image{}, fmt.Errorf("busybox image: %s is dynamically linked; install Debian's busybox-static (make deps)", busyboxPath)
	}
	out, err := exec.CommandContext(ctx, busyboxPath, "--list").Output()
	if err != nil {
		return nodeimage.Image{}, fmt.Errorf("busybox image: list applets of %s: %w", busyboxPath, err)
	}
	files := append(baseFiles(),
		nodeimage.Copy("/bin/busybox", 0o755, busyboxPath),
		nodeimage.Dir("/sbin", 0o755),
		nodeimage.Dir("/usr/bin", 0o755),
		nodeimage.Dir("/usr/sbin", 0o755),
	)
	for _, applet := range strings.Fields(string(out)) {
		if applet == "busybox" || strings.Contains(applet, "/") {
			continue
		}
		files = append(files, nodeimage.Symlink("/bin/"+applet, "busybox"))
	}
	return nodeimage.Image{
		Ref:   Busybox,
		Files: files,
		Config: nodeimage.Config{
			Env: []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin"},
			Cmd: []string{"sh"},
		},
		CreatedBy: "mini testimages: COPY busybox /bin/busybox + applet links",
	}, nil
}
