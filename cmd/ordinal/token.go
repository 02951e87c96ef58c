package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"ordinal.dev/ordinal/internal/apiserver/auth"
	"ordinal.dev/ordinal/internal/join"
)

// tokenTarget is the cluster a token command talks to: the admin kubeconfig of a data dir,
// or an explicit kubeconfig.
type tokenTarget struct {
	dataDir    string
	kubeconfig string
}

func (o *tokenTarget) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.dataDir, "data-dir", defaultDataDir(), "data dir of the server whose admin kubeconfig to use")
	cmd.Flags().StringVar(&o.kubeconfig, "kubeconfig", "", "admin kubeconfig to use instead of <data-dir>/kubeconfig")
}

func (o *tokenTarget) path() string {
	if o.kubeconfig != "" {
		return o.kubeconfig
	}
	return filepath.Join(o.dataDir, "kubeconfig")
}

// client returns an API client from the kubeconfig, with its server and CA.
func (o *tokenTarget) client() (kubernetes.Interface, string, []byte, error) {
	path := o.path()
	raw, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, "", nil, fmt.Errorf("reading kubeconfig %s: %w (is a server running with --data-dir %s? or pass --kubeconfig)", path, err, o.dataDir)
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*raw, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, "", nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	caPEM := cfg.TLSClientConfig.CAData
	if len(caPEM) == 0 && cfg.TLSClientConfig.CAFile != "" {
		if caPEM, err = os.ReadFile(cfg.TLSClientConfig.CAFile); err != nil {
			return nil, "", nil, err
		}
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, "", nil, err
	}
	return client, cfg.Host, caPEM, nil
}

func tokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage bootstrap tokens, with which machines join the cluster (`ordinal agent --token`)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(tokenCreateCommand(), tokenListCommand(), tokenDeleteCommand())
	return cmd
}

func tokenCreateCommand() *cobra.Command {
	var (
		target      tokenTarget
		ttl         time.Duration
		description string
		printJoin   bool
		server      string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a bootstrap token and print it (<id>.<secret>), or the command that joins a machine with it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, host, caPEM, err := target.client()
			if err != nil {
				return err
			}
			if ttl < 0 {
				return fmt.Errorf("--ttl %s: must not be negative (0: the token never expires)", ttl)
			}
			token, err := createToken(cmd.Context(), client, ttl, description)
			if err != nil {
				return err
			}
			if !printJoin {
				fmt.Println(token)
				return nil
			}
			if server == "" {
				server = host
			}
			hash, err := auth.CACertHashPEM(caPEM)
			if err != nil {
				return fmt.Errorf("the CA of kubeconfig %s: %w", target.path(), err)
			}
			if loopback(server) {
				fmt.Fprintf(os.Stderr, "note: %s is reachable from this machine only; pass --server with an address the joining machine reaches\n", server)
			}
			fmt.Println(join.Command(server, token, hash))
			return nil
		},
	}
	target.addFlags(cmd)
	cmd.Flags().DurationVar(&ttl, "ttl", 24*time.Hour, "how long the token works (0: forever)")
	cmd.Flags().StringVar(&description, "description", "", "what the token is for, shown by `ordinal token list`")
	cmd.Flags().BoolVar(&printJoin, "print-join-command", false, "print the whole `ordinal agent` command line instead of the token alone")
	cmd.Flags().StringVar(&server, "server", "", "apiserver address for the join command, https://host:port (default: the kubeconfig's)")
	return cmd
}

// createToken stores a new bootstrap token and returns it, trying another id in the unlikely
// case that one is taken.
func createToken(ctx context.Context, client kubernetes.Interface, ttl time.Duration, description string) (string, error) {
	for attempt := 0; ; attempt++ {
		id, secret := auth.NewBootstrapToken()
		s := auth.BootstrapTokenSecret(id, secret, ttl, description, time.Now())
		_, err := client.CoreV1().Secrets(metav1.NamespaceSystem).Create(ctx, s, metav1.CreateOptions{})
		if apierrors.IsAlreadyExists(err) && attempt < 3 {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("creating the token's Secret %s/%s: %w", s.Namespace, s.Name, err)
		}
		return id + "." + secret, nil
	}
}

func loopback(server string) bool {
	u, err := url.Parse(server)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

func tokenListCommand() *cobra.Command {
	var target tokenTarget
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the bootstrap tokens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, _, _, err := target.client()
			if err != nil {
				return err
			}
			list, err := client.CoreV1().Secrets(metav1.NamespaceSystem).List(cmd.Context(), metav1.ListOptions{
				FieldSelector: fields.OneTermEqualSelector("type", string(auth.SecretTypeBootstrapToken)).String(),
			})
			if err != nil {
				return err
			}
			sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Name < list.Items[j].Name })
			w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
			fmt.Fprintln(w, "TOKEN\tTTL\tEXPIRES\tUSAGES\tDESCRIPTION\tEXTRA GROUPS")
			for i := range list.Items {
				fmt.Fprintln(w, tokenRow(&list.Items[i], time.Now()))
			}
			return w.Flush()
		},
	}
	target.addFlags(cmd)
	return cmd
}

// tokenRow is one line of `ordinal token list`, with kubeadm's columns.
func tokenRow(s *corev1.Secret, now time.Time) string {
	data := func(k string) string { return string(s.Data[k]) }
	ttl, expires := "<forever>", "<never>"
	if raw := data(auth.BootstrapTokenExpirationKey); raw != "" {
		expires = raw
		if exp, err := time.Parse(time.RFC3339, raw); err != nil {
			ttl = "<invalid>"
		} else if left := exp.Sub(now); left > 0 {
			ttl = duration.HumanDuration(left)
		} else {
			ttl = "<expired>"
		}
	}
	var usages []string
	for k, v := range s.Data {
		if u, ok := strings.CutPrefix(k, "usage-bootstrap-"); ok && string(v) == "true" {
			usages = append(usages, u)
		}
	}
	sort.Strings(usages)
	orNone := func(v string) string {
		if v == "" {
			return "<none>"
		}
		return v
	}
	return strings.Join([]string{
		data(auth.BootstrapTokenIDKey) + "." + data(auth.BootstrapTokenSecretKey), ttl, expires,
		orNone(strings.Join(usages, ",")), orNone(data(auth.BootstrapTokenDescriptionKey)), orNone(data(auth.BootstrapTokenExtraGroupsKey)),
	}, "\t")
}

func tokenDeleteCommand() *cobra.Command {
	var target tokenTarget
	cmd := &cobra.Command{
		Use:   "delete <token or token id>...",
		Short: "Delete bootstrap tokens: machines can no longer join with them",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			client, _, _, err := target.client()
			if err != nil {
				return err
			}
			var errs []error
			for _, arg := range args {
				id, _, _ := strings.Cut(arg, ".")
				name := auth.BootstrapTokenSecretPrefix + id
				err := client.CoreV1().Secrets(metav1.NamespaceSystem).Delete(cmd.Context(), name, metav1.DeleteOptions{})
				if err != nil {
					errs = append(errs, fmt.Errorf("token %s: %w", id, err))
					continue
				}
				fmt.Printf("bootstrap token %q deleted\n", id)
			}
			return errors.Join(errs...)
		},
	}
	target.addFlags(cmd)
	return cmd
}
