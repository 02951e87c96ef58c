package controlplane

import (
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeKubeconfig writes the admin kubeconfig for server to path.
func writeKubeconfig(path, server string, caPEM []byte, token string) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["ordinal"] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{Token: token}
	cfg.Contexts["ordinal"] = &clientcmdapi.Context{Cluster: "ordinal", AuthInfo: "admin", Namespace: "default"}
	cfg.CurrentContext = "ordinal"
	return clientcmd.WriteToFile(*cfg, path)
}

// restConfig is the loopback client configuration the in-process components use. They are
// not throttled: upstream's 20 requests/s client limit is what makes its controllers slow
// (issue "performance"), and our own components are trusted.
func restConfig(server string, caPEM []byte, token string) *rest.Config {
	return &rest.Config{
		Host:            server,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM},
		QPS:             -1,
		UserAgent:       "ordinal",
	}
}
