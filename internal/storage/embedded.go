package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.etcd.io/etcd/server/v3/etcdserver/api/v3client"
	"go.uber.org/zap"
)

// Embedded is a single-member etcd running inside this process.
type Embedded struct {
	etcd *embed.Etcd
	// Client talks to the member in-process, without a network hop: for reads and writes.
	Client *clientv3.Client
	// WatchClient talks to it over gRPC on loopback: for watches. The in-process transport
	// multiplexes every watch onto one stream that deadlocks when many watches are cancelled
	// at once (etcd-io/etcd#18879, #20716; a burst of clients going away is enough), which
	// would stop every watch of the apiserver; a real gRPC stream has flow control.
	WatchClient *clientv3.Client
}

// embeddedPorts are the loopback ports the member listens on. They are kept in the data dir
// so that a restart advertises the same peer URL the member was created with.
type embeddedPorts struct {
	Client int `json:"client"`
	Peer   int `json:"peer"`
}

// StartEmbedded starts (or restarts) a single-member etcd whose data lives in dir. It listens
// on loopback only, on ports of its own, so that several instances can run side by side, and
// the returned client talks to it in-process without a network hop.
func StartEmbedded(dir string) (*Embedded, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("etcd data dir: %w", err)
	}
	ports, err := loadPorts(filepath.Join(dir, "ports.json"))
	if err != nil {
		return nil, err
	}
	cfg := embed.NewConfig()
	cfg.Name = "ordinal"
	cfg.Dir = filepath.Join(dir, "member-data")
	cfg.LogLevel = "error"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	// A single member elects itself; short ticks keep that to a few tens of milliseconds.
	cfg.TickMs = 10
	cfg.ElectionMs = 100
	cfg.WatchProgressNotifyInterval = 30 * time.Second
	cfg.QuotaBackendBytes = 8 << 30
	client := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(ports.Client)}
	peer := url.URL{Scheme: "http", Host: "127.0.0.1:" + strconv.Itoa(ports.Peer)}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{client}, []url.URL{client}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{peer}, []url.URL{peer}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	cfg.Metrics = "basic"

	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("starting embedded etcd in %s: %w", dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		return nil, fmt.Errorf("embedded etcd: %w", err)
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, errors.New("embedded etcd did not become ready in 60s")
	}
	watch, err := clientv3.New(clientv3.Config{Endpoints: []string{client.Host}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("embedded etcd: watch client: %w", err)
	}
	return &Embedded{etcd: e, Client: v3client.New(e.Server), WatchClient: watch}, nil
}

// Close stops the member; what it acknowledged is on disk.
func (e *Embedded) Close() {
	e.WatchClient.Close()
	e.Client.Close()
	e.etcd.Close()
}

func loadPorts(path string) (embeddedPorts, error) {
	var p embeddedPorts
	if data, err := os.ReadFile(path); err == nil {
		if json.Unmarshal(data, &p) == nil && portFree(p.Client) && portFree(p.Peer) {
			return p, nil
		}
	}
	var err error
	if p.Client, err = freePort(); err != nil {
		return p, err
	}
	if p.Peer, err = freePort(); err != nil {
		return p, err
	}
	data, _ := json.Marshal(p)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return p, err
	}
	return p, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free loopback port for etcd: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func portFree(port int) bool {
	if port <= 0 {
		return false
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}
