package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"

	"ordinal.dev/ordinal/internal/image"
)

// imageCommand is `ordinal image`: the node's image store, as crictl's image commands
// show containerd's.
func imageCommand() *cobra.Command {
	var dataDir string
	open := func() (*image.Store, error) {
		return image.Open(filepath.Join(dataDir, "images"), image.Options{})
	}
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Manage the images of this machine: import, ls, rm, pull",
	}
	cmd.PersistentFlags().StringVar(&dataDir, "data-dir", defaultDataDir(), "directory for the cluster's state (the same as for ordinal up)")

	var importName string
	importCmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Load images from docker-save or OCI layout archives (or OCI layout directories)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := open()
			if err != nil {
				return err
			}
			for _, file := range args {
				imgs, err := s.Import(cmd.Context(), file, image.ImportOptions{Name: importName})
				if err != nil {
					return err
				}
				for _, img := range imgs {
					fmt.Fprintf(cmd.OutOrStdout(), "imported %s (%s)\n", img.Ref, img.Digest)
				}
			}
			return nil
		},
	}
	importCmd.Flags().StringVar(&importName, "name", "", "reference for an image the archive does not name (also tags an archive's only image)")

	lsCmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List images",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := open()
			if err != nil {
				return err
			}
			images, err := s.List()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 8, 3, ' ', 0)
			fmt.Fprintln(w, "REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tSIZE")
			for _, img := range images {
				tag := img.Tag
				if tag == "" {
					tag = "<none>"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", img.Repository, tag, shortDigest(img.Digest), shortDigest(img.ID), humanSize(img.Size))
			}
			return w.Flush()
		},
	}

	rmCmd := &cobra.Command{
		Use:     "rm REF...",
		Aliases: []string{"rmi"},
		Short:   "Remove image references (by reference, image ID or digest) and collect what they alone held",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := open()
			if err != nil {
				return err
			}
			for _, ref := range args {
				removed, err := s.Remove(cmd.Context(), ref)
				if err != nil {
					return err
				}
				for _, r := range removed {
					fmt.Fprintf(cmd.OutOrStdout(), "Deleted: %s\n", r)
				}
			}
			// Remove collects only when nothing else uses the store; here the user asked
			// for the space back, so wait for running pulls.
			_, err = s.GC(cmd.Context())
			return err
		},
	}

	var creds string
	pullCmd := &cobra.Command{
		Use:   "pull REF",
		Short: "Pull an image from its registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := open()
			if err != nil {
				return err
			}
			opts := image.PullOptions{Keychain: authn.DefaultKeychain}
			if creds != "" {
				user, pass, ok := strings.Cut(creds, ":")
				if !ok {
					return fmt.Errorf("--creds wants USERNAME:PASSWORD")
				}
				r, err := image.ParseReference(args[0])
				if err != nil {
					return err
				}
				registry, _, _ := strings.Cut(r.Name, "/")
				cfg := fmt.Sprintf(`{"auths":{%q:{"username":%q,"password":%q}}}`, registry, user, pass)
				opts.PullSecrets = [][]byte{[]byte(cfg)}
			}
			img, err := s.Pull(cmd.Context(), args[0], opts)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Image is up to date for %s (%s)\n", img.Ref, img.Digest)
			return nil
		},
	}
	pullCmd.Flags().StringVar(&creds, "creds", "", "USERNAME:PASSWORD for the registry (default: ~/.docker/config.json)")

	cmd.AddCommand(importCmd, lsCmd, rmCmd, pullCmd)
	return cmd
}

// shortDigest is the first 12 hex digits, as crictl and docker show IDs.
func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

// humanSize prints decimal units with three significant digits, as crictl does.
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	return fmt.Sprintf("%.3g%s", f, units[i])
}
