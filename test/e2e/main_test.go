package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

var (
	// ordinalBinary is the ordinal built for this run.
	ordinalBinary string
	// kubectlBinary is the kubectl on PATH; empty when there is none (see kubectlMissing).
	kubectlBinary  string
	kubectlMissing string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "ordinal-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)

	kubectlBinary, err = exec.LookPath("kubectl")
	if err != nil {
		kubectlMissing = "kubectl is not on PATH (install the Debian package kubectl)"
		if os.Getenv("CI") != "" {
			// In CI a missing kubectl is a broken machine, not a reason to pass quietly.
			fmt.Fprintln(os.Stderr, "e2e: FAIL:", kubectlMissing, "and CI is set")
			return 1
		}
		kubectlBinary = ""
	}

	ordinalBinary = os.Getenv("ORDINAL_E2E_BINARY")
	if ordinalBinary == "" {
		ordinalBinary = filepath.Join(tmp, "ordinal")
		if err := buildOrdinal(ordinalBinary); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	}
	return m.Run()
}

// buildOrdinal builds ./cmd/ordinal of the module this test lives in, and its container shim.
func buildOrdinal(out string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	// `go test` puts its own go first on PATH, so this is the toolchain running the tests.
	// The container shim goes beside ordinal, where the process runtime looks for it.
	builds := map[string]string{out: "./cmd/ordinal", filepath.Join(filepath.Dir(out), "ordinal-shim"): "./internal/runtime/process/ordinal-shim"}
	for bin, pkg := range builds {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Dir = root
		var output bytes.Buffer
		cmd.Stdout, cmd.Stderr = &output, &output
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build %s in %s: %v\n%s", pkg, root, err, output.String())
		}
	}
	return nil
}

// moduleRoot walks up from the test's directory to the go.mod of ordinal.dev/ordinal.
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
			return "", errors.New("no go.mod of module ordinal.dev/ordinal above the test directory")
		}
		dir = parent
	}
}

// needKubectl skips a test when kubectl is missing outside CI (in CI TestMain has failed
// already).
func needKubectl(t *testing.T) {
	t.Helper()
	if kubectlBinary == "" {
		t.Skip(kubectlMissing)
	}
}
