package process

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// userIDs is the user a container's process runs as.
type userIDs struct {
	UID, GID   uint32
	Additional []uint32
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

// resolveUser decides the container's user as containerd does for the kubelet:
// runAsUser/runAsGroup (container over pod) win over the image's USER, whose names are
// looked up in the root filesystem's /etc/passwd and /etc/group; the supplementary groups
// are the user's groups there, then the pod's supplementalGroups and fsGroup.
func resolveUser(rootfs string, imageUser string, pod *corev1.Pod, sc corev1.SecurityContext) (userIDs, error) {
	passwd := readPasswd(filepath.Join(rootfs, "etc", "passwd"))
	groups := readGroups(filepath.Join(rootfs, "etc", "group"))
	var ids userIDs
	userName := ""
	userPart, groupPart, hasGroup := strings.Cut(imageUser, ":")
	switch {
	case sc.RunAsUser != nil:
		ids.UID = uint32(*sc.RunAsUser)
		for _, p := range passwd {
			if p.uid == ids.UID {
				ids.GID, userName = p.gid, p.name
				break
			}
		}
		hasGroup = false
	case userPart == "":
	default:
		if n, err := strconv.ParseUint(userPart, 10, 32); err == nil {
			ids.UID = uint32(n)
			for _, p := range passwd {
				if p.uid == ids.UID {
					ids.GID, userName = p.gid, p.name
					break
				}
			}
		} else {
			found := false
			for _, p := range passwd {
				if p.name == userPart {
					ids.UID, ids.GID, userName, found = p.uid, p.gid, p.name, true
					break
				}
			}
			if !found {
				return ids, fmt.Errorf("unable to find user %s: no matching entries in passwd file", userPart)
			}
		}
	}
	switch {
	case sc.RunAsGroup != nil:
		ids.GID = uint32(*sc.RunAsGroup)
	case hasGroup && groupPart != "":
		if n, err := strconv.ParseUint(groupPart, 10, 32); err == nil {
			ids.GID = uint32(n)
		} else {
			found := false
			for _, g := range groups {
				if g.name == groupPart {
					ids.GID, found = g.gid, true
					break
				}
			}
			if !found {
				return ids, fmt.Errorf("unable to find group %s: no matching entries in group file", groupPart)
			}
		}
	}
	if sc.RunAsNonRoot != nil && *sc.RunAsNonRoot && ids.UID == 0 {
		return ids, errRunAsRoot
	}
	seen := map[uint32]bool{ids.GID: true}
	addGroup := func(g uint32) {
		if !seen[g] {
			seen[g] = true
			ids.Additional = append(ids.Additional, g)
		}
	}
	if userName != "" {
		for _, g := range groups {
			for _, m := range g.members {
				if m == userName {
					addGroup(g.gid)
				}
			}
		}
	}
	if psc := pod.Spec.SecurityContext; psc != nil {
		for _, g := range psc.SupplementalGroups {
			addGroup(uint32(g))
		}
		if psc.FSGroup != nil {
			addGroup(uint32(*psc.FSGroup))
		}
	}
	return ids, nil
}

func readPasswd(path string) []passwdEntry {
	var out []passwdEntry
	eachLine(path, func(f []string) {
		if len(f) < 4 {
			return
		}
		uid, err1 := strconv.ParseUint(f[2], 10, 32)
		gid, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 == nil && err2 == nil {
			out = append(out, passwdEntry{name: f[0], uid: uint32(uid), gid: uint32(gid)})
		}
	})
	return out
}

func readGroups(path string) []groupEntry {
	var out []groupEntry
	eachLine(path, func(f []string) {
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
		out = append(out, g)
	})
	return out
}

// eachLine calls fn with the colon-separated fields of each line of a passwd-style file;
// a missing file has no lines. The file is read through the root filesystem, where a
// symlink could point anywhere on the host: only regular files are read.
func eachLine(path string, fn func([]string)) {
	st, err := os.Lstat(path)
	if err != nil || !st.Mode().IsRegular() {
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
}
