package nodeimage

import (
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// Repository is the repository part of every node image reference.
const Repository = "mini-node"

// LabelBinarySHA256 is the image label holding the full sha256 of the binary.
const LabelBinarySHA256 = "io.mini.binary-sha256"

// Ref returns the node image reference for the executable at binaryPath
// (normally os.Executable()): "mini-node:<first 12 hex of sha256 of the binary>".
func Ref(binaryPath string) (string, error) {
	sum, err := fileSHA256(binaryPath)
	if err != nil {
		return "", err
	}
	return refFor(sum), nil
}

func refFor(sum string) string { return Repository + ":" + sum[:12] }

// fileSHA256 returns the hex sha256 of the file at path.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hash mini binary: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash mini binary %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Check returns a clear error unless the file at binaryPath is a statically
// linked Linux ELF executable, the only kind that runs in a FROM scratch
// image: it must have no PT_INTERP program header and no DT_NEEDED entries.
func Check(binaryPath string) error {
	static, err := IsStatic(binaryPath)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
			return fmt.Errorf("mini binary %s is not a Linux ELF executable; node images need a static Linux binary: build one with CGO_ENABLED=0 GOOS=linux go build -o bin/mini ./cmd/mini", binaryPath)
		}
		return fmt.Errorf("check mini binary: %w", err)
	}
	if !static {
		return fmt.Errorf("mini binary %s is dynamically linked; node images need a static binary: build it with CGO_ENABLED=0 go build -o bin/mini ./cmd/mini (or make build)", binaryPath)
	}
	return nil
}

// IsStatic reports whether the file at path is a statically linked ELF
// executable (no PT_INTERP, no DT_NEEDED). A file that is not ELF gives an
// *elf.FormatError.
func IsStatic(path string) (bool, error) {
	f, err := elf.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return false, fmt.Errorf("%s is not an executable (ELF type %v)", path, f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false, nil
		}
	}
	// Static PIE binaries have a dynamic section but need no libraries.
	libs, err := f.ImportedLibraries()
	if err != nil {
		return false, fmt.Errorf("%s: read dynamic section: %w", path, err)
	}
	return len(libs) == 0, nil
}
