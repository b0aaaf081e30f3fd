package podspec

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
)

// userDB reads a rootfs's /etc/passwd and /etc/group once, on first use.
type userDB struct {
	open   func(path string) (io.ReadCloser, error)
	users  []passwdEntry
	groups []groupEntry
	loaded bool
}

type passwdEntry struct {
	name     string
	uid, gid uint32
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// resolveImageUser resolves an image config's User field.
func (db *userDB) resolveImageUser(spec string) (uid, gid uint32, name string, err error) {
	userPart, groupPart, _ := strings.Cut(spec, ":")
	if userPart == "" {
		userPart = "0"
	}
	if n, perr := strconv.ParseUint(userPart, 10, 32); perr == nil {
		uid = uint32(n)
		u, ok, err := db.userByID(uid)
		if err != nil {
			return 0, 0, "", err
		}
		if ok {
			name, gid = u.name, u.gid
		}
	} else {
		u, ok, err := db.userByName(userPart)
		if err != nil {
			return 0, 0, "", err
		}
		if !ok {
			return 0, 0, "", fmt.Errorf("unable to find user %s: no matching entries in passwd file", userPart)
		}
		uid, gid, name = u.uid, u.gid, u.name
	}
	if groupPart == "" {
		return uid, gid, name, nil
	}
	if n, perr := strconv.ParseUint(groupPart, 10, 32); perr == nil {
		return uid, uint32(n), name, nil
	}
	if err := db.load(); err != nil {
		return 0, 0, "", err
	}
	for _, g := range db.groups {
		if g.name == groupPart {
			return uid, g.gid, name, nil
		}
	}
	return 0, 0, "", fmt.Errorf("unable to find group %s: no matching entries in group file", groupPart)
}

func (db *userDB) userByID(uid uint32) (passwdEntry, bool, error) {
	if err := db.load(); err != nil {
		return passwdEntry{}, false, err
	}
	for _, u := range db.users {
		if u.uid == uid {
			return u, true, nil
		}
	}
	return passwdEntry{}, false, nil
}

func (db *userDB) userByName(name string) (passwdEntry, bool, error) {
	if err := db.load(); err != nil {
		return passwdEntry{}, false, err
	}
	for _, u := range db.users {
		if u.name == name {
			return u, true, nil
		}
	}
	return passwdEntry{}, false, nil
}

// memberOf returns the gids of the groups that list name as a member.
func (db *userDB) memberOf(name string) ([]uint32, error) {
	if err := db.load(); err != nil {
		return nil, err
	}
	var gids []uint32
	for _, g := range db.groups {
		for _, m := range g.members {
			if m == name {
				gids = append(gids, g.gid)
				break
			}
		}
	}
	return gids, nil
}

func (db *userDB) load() error {
	if db.loaded {
		return nil
	}
	db.loaded = true
	err := db.readLines("/etc/passwd", func(f []string) {
		if len(f) < 4 {
			return
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 == nil && err2 == nil {
			db.users = append(db.users, passwdEntry{name: f[0], uid: uint32(uid), gid: uint32(gid)})
		}
	})
	if err != nil {
		return err
	}
	return db.readLines("/etc/group", func(f []string) {
		if len(f) < 3 {
			return
		}
		gid, err := strconv.ParseUint(f[2], 10, 32)
		if err != nil {
			return
		}
		g := groupEntry{name: f[0], gid: uint32(gid)}
		if len(f) > 3 && f[3] != "" {
			g.members = strings.Split(f[3], ",")
		}
		db.groups = append(db.groups, g)
	})
}

// readLines calls fn with the colon-separated fields of each entry of a
// file in the rootfs; a missing file has no entries.
func (db *userDB) readLines(path string, fn func(fields []string)) error {
	if db.open == nil {
		return nil
	}
	r, err := db.open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open %s in the image: %w", path, err)
	}
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s in the image: %w", path, err)
	}
	return nil
}
