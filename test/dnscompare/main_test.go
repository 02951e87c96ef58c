package dnscompare

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// ordinalBinary is the ordinal this run tests: $ORDINAL_BINARY, or one built from the
// enclosing module.
var ordinalBinary string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	ordinalBinary = os.Getenv("ORDINAL_BINARY")
	if ordinalBinary == "" {
		tmp, err := os.MkdirTemp("", "ordinal-dnscompare-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "dnscompare:", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		ordinalBinary = filepath.Join(tmp, "ordinal")
		if err := buildOrdinal(ordinalBinary); err != nil {
			fmt.Fprintln(os.Stderr, "dnscompare:", err)
			return 1
		}
	}
	return m.Run()
}

// buildOrdinal builds ./cmd/ordinal of the module above this one.
func buildOrdinal(out string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	// `go test` puts its own go first on PATH, so this is the toolchain running the test.
	cmd := exec.Command("go", "build", "-o", out, "./cmd/ordinal")
	cmd.Dir = root
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/ordinal in %s: %v\n%s", root, err, output.String())
	}
	return nil
}

// moduleRoot walks up from the test's directory to the go.mod of ordinal.dev/ordinal
// (this module's own go.mod names ordinal.dev/ordinal/test/dnscompare and is passed by).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(data, []byte("module ordinal.dev/ordinal\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod of module ordinal.dev/ordinal above the test directory; set ORDINAL_BINARY")
		}
		dir = parent
	}
}
