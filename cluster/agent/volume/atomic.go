package volume

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// The kubelet's atomic-writer layout: the files live in a timestamped
// directory, ..data is a symlink to it, and each top-level entry the user
// sees is a symlink through ..data. An update writes a new timestamped
// directory and renames a new ..data symlink over the old one, so a reader
// sees either all of the old content or all of the new.
const (
	dataDirName    = "..data"
	newDataDirName = "..data_tmp"
	maxPathLength  = 4096
	maxNameLength  = 255
)

// fileProjection is one file of a payload.
type fileProjection struct {
	Data []byte
	Mode int32
}

// writeAtomic makes targetDir hold exactly payload (relative path →
// content) and reports whether anything changed. setPerms, if not nil,
// runs on the new timestamped directory before it becomes visible.
func writeAtomic(targetDir string, payload map[string]fileProjection, setPerms func(dir string) error) (bool, error) {
	clean, err := cleanPayload(payload)
	if err != nil {
		return false, err
	}
	oldTs, err := readDataLink(targetDir)
	if err != nil {
		return false, err
	}
	var remove map[string]bool
	if oldTs != "" {
		oldPath := filepath.Join(targetDir, oldTs)
		remove, err = pathsToRemove(clean, oldPath)
		if err != nil {
			return false, err
		}
		changed, err := payloadDiffers(clean, oldPath)
		if err != nil {
			return false, err
		}
		if !changed && len(remove) == 0 {
			return false, nil
		}
	}
	tsDir, err := os.MkdirTemp(targetDir, time.Now().UTC().Format("..2006_01_02_15_04_05."))
	if err != nil {
		return false, fmt.Errorf("create timestamped directory in %s: %w", targetDir, err)
	}
	if err := writePayload(clean, tsDir); err != nil {
		_ = os.RemoveAll(tsDir)
		return false, err
	}
	if setPerms != nil {
		if err := setPerms(tsDir); err != nil {
			_ = os.RemoveAll(tsDir)
			return false, err
		}
	}
	tmpLink := filepath.Join(targetDir, newDataDirName)
	_ = os.Remove(tmpLink)
	if err := os.Symlink(filepath.Base(tsDir), tmpLink); err != nil {
		_ = os.RemoveAll(tsDir)
		return false, fmt.Errorf("link %s: %w", tmpLink, err)
	}
	if err := os.Rename(tmpLink, filepath.Join(targetDir, dataDirName)); err != nil {
		_ = os.Remove(tmpLink)
		_ = os.RemoveAll(tsDir)
		return false, fmt.Errorf("swap %s in %s: %w", dataDirName, targetDir, err)
	}
	if err := createVisibleLinks(targetDir, clean); err != nil {
		return true, err
	}
	for p := range remove {
		if strings.Contains(p, "/") {
			continue // only top-level entries are links in targetDir
		}
		if err := os.Remove(filepath.Join(targetDir, p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return true, fmt.Errorf("remove %s from %s: %w", p, targetDir, err)
		}
	}
	if oldTs != "" {
		if err := os.RemoveAll(filepath.Join(targetDir, oldTs)); err != nil {
			return true, fmt.Errorf("remove old data %s: %w", oldTs, err)
		}
	}
	return true, nil
}

func cleanPayload(payload map[string]fileProjection) (map[string]fileProjection, error) {
	clean := make(map[string]fileProjection, len(payload))
	for p, content := range payload {
		if err := validatePath(p); err != nil {
			return nil, err
		}
		clean[path.Clean(p)] = content
	}
	return clean, nil
}

// validatePath checks a payload path as the kubelet's atomic writer does.
func validatePath(p string) error {
	if p == "" {
		return fmt.Errorf("invalid path: must not be empty: %q", p)
	}
	if path.IsAbs(p) {
		return fmt.Errorf("invalid path: must be relative path: %s", p)
	}
	if len(p) > maxPathLength {
		return fmt.Errorf("invalid path: must be less than or equal to %d characters", maxPathLength)
	}
	items := strings.Split(p, "/")
	for _, item := range items {
		if item == ".." {
			return fmt.Errorf("invalid path: must not contain '..': %s", p)
		}
		if len(item) > maxNameLength {
			return fmt.Errorf("invalid path: filenames must be less than or equal to %d characters", maxNameLength)
		}
	}
	if strings.HasPrefix(items[0], "..") && len(items[0]) > 2 {
		return fmt.Errorf("invalid path: must not start with '..': %s", p)
	}
	return nil
}

// readDataLink returns the timestamped directory ..data points to, "" if
// there is none yet.
func readDataLink(targetDir string) (string, error) {
	target, err := os.Readlink(filepath.Join(targetDir, dataDirName))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read %s in %s: %w", dataDirName, targetDir, err)
	}
	return target, nil
}

// payloadDiffers reports whether any file of payload differs, in content
// or mode, from what oldDir holds.
func payloadDiffers(payload map[string]fileProjection, oldDir string) (bool, error) {
	for p, fp := range payload {
		full := filepath.Join(oldDir, p)
		fi, err := os.Lstat(full)
		if errors.Is(err, fs.ErrNotExist) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("check %s: %w", full, err)
		}
		if !fi.Mode().IsRegular() || fi.Mode().Perm() != fs.FileMode(fp.Mode)&fs.ModePerm {
			return true, nil
		}
		old, err := os.ReadFile(full)
		if err != nil {
			return false, fmt.Errorf("read %s: %w", full, err)
		}
		if !bytes.Equal(old, fp.Data) {
			return true, nil
		}
	}
	return false, nil
}

// pathsToRemove returns the paths under oldDir, relative, that the new
// payload (with its parent directories) no longer has.
func pathsToRemove(payload map[string]fileProjection, oldDir string) (map[string]bool, error) {
	keep := map[string]bool{}
	for p := range payload {
		for d := p; d != "."; d = path.Dir(d) {
			keep[d] = true
		}
	}
	remove := map[string]bool{}
	err := filepath.WalkDir(oldDir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(oldDir, p)
		if rel != "." && !keep[filepath.ToSlash(rel)] {
			remove[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list old data in %s: %w", oldDir, err)
	}
	return remove, nil
}

func writePayload(payload map[string]fileProjection, dir string) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("chmod %s: %w", dir, err)
	}
	for p, fp := range payload {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("create directory for %s: %w", p, err)
		}
		mode := fs.FileMode(fp.Mode) & fs.ModePerm
		if err := os.WriteFile(full, fp.Data, mode); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
		// WriteFile's mode is filtered by the umask; the payload's is exact.
		if err := os.Chmod(full, mode); err != nil {
			return fmt.Errorf("chmod %s: %w", p, err)
		}
	}
	return nil
}

// createVisibleLinks links each top-level entry of the payload through
// ..data.
func createVisibleLinks(targetDir string, payload map[string]fileProjection) error {
	for p := range payload {
		top, _, _ := strings.Cut(p, "/")
		link := filepath.Join(targetDir, top)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join(dataDirName, top), link); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("link %s: %w", link, err)
		}
	}
	return nil
}
