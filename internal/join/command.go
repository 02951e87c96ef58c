package join

import "fmt"

// Command is the command line that joins a machine to the cluster at server (https://host:port)
// with token, trusting the CA whose pin is caCertHash.
func Command(server, token, caCertHash string) string {
	return fmt.Sprintf("ordinal agent --server %s --token %s --ca-cert-hash %s", server, token, caCertHash)
}
