// Command rootfs-image turns a root filesystem directory into a single-layer image and
// writes it as a docker-save archive for `ordinal image import`. examples/images/build.sh
// uses it to make the examples' stand-in images from Debian packages and small Go programs:
//
//	go run ./hack/rootfs-image -rootfs /tmp/root -o mysql.tar -tag mysql:5.7 \
//	    -entrypoint '["docker-entrypoint.sh"]' -cmd '["mysqld"]' -expose 3306/tcp
//
// The layer is reproducible: entries are sorted, every timestamp is one fixed date and
// owners are numeric, so the same tree always gives the same diffID and a repeated import
// is a no-op. Device nodes and sockets are left out (the runtime provides /dev), and a
// directory that is a mount point is refused, so a forgotten /proc mount cannot leak in.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
)

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// jsonList is a flag holding a JSON array of strings, as a Dockerfile's exec form; unset
// leaves the field empty.
type jsonList struct {
	set   bool
	value []string
}

func (l *jsonList) String() string { b, _ := json.Marshal(l.value); return string(b) }
func (l *jsonList) Set(v string) error {
	if err := json.Unmarshal([]byte(v), &l.value); err != nil {
		return fmt.Errorf("want a JSON array of strings such as [\"sh\",\"-c\",\"…\"]: %w", err)
	}
	l.set = true
	return nil
}

func main() {
	var (
		spec       Spec
		tags       stringList
		env        stringList
		expose     stringList
		labels     stringList
		entrypoint jsonList
		cmd        jsonList
	)
	flag.StringVar(&spec.Rootfs, "rootfs", "", "root filesystem directory to pack (required)")
	out := flag.String("o", "", "docker-save archive to write (required)")
	flag.Var(&tags, "tag", "reference the image is tagged with (repeatable, at least one)")
	flag.StringVar(&spec.TagEnv, "tag-env", "", "give each tag its own image whose environment sets this variable to the tag (mysql:5.7 → 5.7)")
	flag.Var(&entrypoint, "entrypoint", "Entrypoint as a JSON array")
	flag.Var(&cmd, "cmd", "Cmd as a JSON array")
	flag.Var(&env, "env", "NAME=VALUE for the image's environment (repeatable; PATH defaults to the usual one)")
	flag.StringVar(&spec.WorkingDir, "workdir", "", "WorkingDir")
	flag.StringVar(&spec.User, "user", "", "User")
	flag.Var(&expose, "expose", "port/protocol to list in ExposedPorts (repeatable), e.g. 8080/tcp")
	flag.Var(&labels, "label", "KEY=VALUE label (repeatable)")
	flag.StringVar(&spec.CreatedBy, "created-by", "", "history note for the layer (default: rootfs-image and the rootfs path)")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments %q", flag.Args()))
	}
	if spec.Rootfs == "" || *out == "" || len(tags) == 0 {
		fail(fmt.Errorf("-rootfs, -o and at least one -tag are required"))
	}
	spec.Tags, spec.Env, spec.ExposedPorts = tags, env, expose
	spec.Entrypoint, spec.Cmd = entrypoint.value, cmd.value
	spec.Labels = map[string]string{}
	for _, l := range labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			fail(fmt.Errorf("-label %q: want KEY=VALUE", l))
		}
		spec.Labels[k] = v
	}
	if err := WriteArchive(*out, spec); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rootfs-image:", err)
	os.Exit(1)
}
