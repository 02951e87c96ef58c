package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// examples/mysql-replication (seed 001, "DB 이중화"): a primary and replicas that clone the
// previous ordinal and replicate from the primary; the row written through mydb-0.mydb is
// read from every replica, also after scaling to 3 and after deleting mydb-1, and a replica
// refuses writes.
func TestExampleMySQLReplication(t *testing.T) {
	e := startExample(t, "mysql-replication", "mysql", "xtrabackup", "network-multitool")
	wantContains(t, e.run("kubectl create -f ."),
		"configmap/mydb-config created", "statefulset.apps/mydb created", "service/mydb-read created", "service/mydb created")
	waitPodsReady(t, e.k, "app=mydb", "mydb-0", "mydb-1")
	e.run("kubectl rollout status sts/mydb")
	wantContains(t, e.run("kubectl get pod,pv,pvc"), "pod/mydb-0", "pod/mydb-1", "persistentvolumeclaim/data-mydb-0", "persistentvolumeclaim/data-mydb-1")
	ips := podIPs(t, e.k, "mydb-0", "mydb-1")
	readIP := e.k.jsonpath("{.spec.clusterIP}", "service", "mydb-read")

	out := e.interactive("kubectl run db-client --image ghcr.io/c1t1d0s7/network-multitool -it --rm",
		"host mydb",
		"host mydb-0.mydb",
		"host mydb-read",
		`mysql -h mydb-0.mydb -u root -e 'CREATE DATABASE mydb; CREATE TABLE mydb.mytb (message VARCHAR(100)); INSERT INTO mydb.mytb VALUES ("Hello world")'`,
		`mysql -h mydb-0.mydb -u root -e 'SELECT * FROM mydb.mytb'`,
	)
	wantContains(t, out,
		"mydb.default.svc.cluster.local has address "+ips["mydb-0"],
		"mydb.default.svc.cluster.local has address "+ips["mydb-1"],
		"mydb-0.mydb.default.svc.cluster.local has address "+ips["mydb-0"],
		"mydb-read.default.svc.cluster.local has address "+readIP,
		"Hello world")

	// Replication is asynchronous: poll the replica until the row is there.
	readFrom := func(host string) {
		t.Helper()
		line := fmt.Sprintf("kubectl run db-client --image ghcr.io/c1t1d0s7/network-multitool --rm -i --restart=Never -- mysql -h %s -u root -N -e 'SELECT * FROM mydb.mytb'", host)
		eventually(t, 2*time.Minute, func() string {
			r := e.try("", line)
			if r.code != 0 || !strings.Contains(r.stdout, "Hello world") {
				return fmt.Sprintf("the row is not on %s yet: %s", host, r)
			}
			return ""
		})
	}
	readFrom("mydb-1.mydb")
	r := e.try("", `kubectl run db-client --image ghcr.io/c1t1d0s7/network-multitool --rm -i --restart=Never -- mysql -h mydb-1.mydb -u root -e 'INSERT INTO mydb.mytb VALUES ("from a replica")'`)
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "ERROR 1290") || !strings.Contains(r.stdout+r.stderr, "--read-only") {
		t.Errorf("an INSERT on a replica was not refused as read-only: %s", r)
	}
	if out := e.run("kubectl run db-client --image ghcr.io/c1t1d0s7/network-multitool --rm -i --restart=Never -- mysql -h mydb-read -u root -N -e 'SELECT @@hostname, message FROM mydb.mytb'"); !strings.Contains(out, "Hello world") {
		t.Errorf("through mydb-read: %q", out)
	}

	e.run("kubectl scale sts mydb --replicas 3")
	waitPodsReady(t, e.k, "app=mydb", "mydb-0", "mydb-1", "mydb-2")
	e.run("kubectl rollout status sts/mydb")
	readFrom("mydb-2.mydb")

	uid := e.k.jsonpath("{.metadata.uid}", "pod", "mydb-1")
	e.run("kubectl delete pod mydb-1")
	waitPodReplaced(t, e.k, "default", "mydb-1", uid)
	e.run("kubectl rollout status sts/mydb")
	readFrom("mydb-1.mydb")
}
