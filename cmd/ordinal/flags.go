package main

import (
	"os"
	"path/filepath"
)

// defaultDataDir is /var/lib/ordinal for root and ~/.local/share/ordinal otherwise.
func defaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/ordinal"
	}
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "ordinal")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "ordinal")
	}
	return filepath.Join(home, ".local", "share", "ordinal")
}
