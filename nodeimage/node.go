package nodeimage

import (
	"io"
)

// BinaryPath is where the binary sits in the node image (its ENTRYPOINT).
const BinaryPath = "/mini"

// Node returns the node image for the binary at binaryPath, tagged ref
// (normally Ref(binaryPath)): a FROM scratch image holding the binary at
// /mini (mode 0755) and the empty directories /etc, /run, /tmp and
// /var/lib/mini; ENTRYPOINT ["/mini"], CMD ["agent"], PATH=/ and the label
// io.mini.binary-sha256. It hashes the binary for the label.
func Node(binaryPath, ref string) (Image, error) {
	sum, err := fileSHA256(binaryPath)
	if err != nil {
		return Image{}, err
	}
	return Image{
		Ref: ref,
		Files: []File{
			Dir("/etc", 0o755),
			Copy(BinaryPath, 0o755, binaryPath),
			Dir("/run", 0o755),
			Dir("/tmp", 0o1777),
			Dir("/var/lib/mini", 0o755),
		},
		Config: Config{
			Entrypoint: []string{BinaryPath},
			Cmd:        []string{"agent"},
			Env:        []string{"PATH=/"},
			Labels:     map[string]string{LabelBinarySHA256: sum},
		},
		CreatedBy: "mini nodeimage: COPY mini /mini",
	}, nil
}

// WriteTar writes to w the node image for the binary at binaryPath, tagged
// ref, as a `docker save` archive: Node(binaryPath, ref).WriteTar(w).
func WriteTar(w io.Writer, binaryPath, ref string) error {
	img, err := Node(binaryPath, ref)
	if err != nil {
		return err
	}
	return img.WriteTar(w)
}

// Open returns the archive WriteTar writes as a stream, like Image.Open.
func Open(binaryPath, ref string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(WriteTar(pw, binaryPath, ref))
	}()
	return pr
}
