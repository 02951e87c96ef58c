package volume

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
)

// claimOutcome is a claimPlan written for reading: volumes by name, events as text.
type claimOutcome struct {
	AddFinalizer, RemoveFinalizer bool
	SetClass, Annotate            string
	Provision, Bind               string
	Phase                         corev1.PersistentVolumeClaimPhase
	Events                        []string
}

func outcomeOf(p claimPlan) claimOutcome {
	o := claimOutcome{AddFinalizer: p.addFinalizer, RemoveFinalizer: p.removeFinalizer, SetClass: p.setClass,
		Annotate: p.annotateProvisioner, Phase: p.phase}
	if p.provision != nil {
		o.Provision = p.provision.Name
	}
	if p.bind != nil {
		o.Bind = p.bind.Name
	}
	for _, e := range p.events {
		o.Events = append(o.Events, e.eventType+" "+e.reason+" "+e.message)
	}
	return o
}

const externalWait = "Waiting for a volume to be created either by the external provisioner 'example.com/nfs' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."

func TestPlanClaim(t *testing.T) {
	var (
		immediate = storagev1.VolumeBindingImmediate
		wffc      = storagev1.VolumeBindingWaitForFirstConsumer
		localPath = DefaultStorageClass()
		external  = newClass("nfs", "example.com/nfs", immediate)
		noProv    = newClass("local-storage", "kubernetes.io/no-provisioner", wffc)
		localNow  = newClass("local-now", Provisioner, immediate)
		selected  = pvcAnnotation(AnnSelectedNode, "node-a")
		nfsClient = SharedPathStorageClass("nfs-client", "/srv/shared")
		nfsLater  = sharedClass("nfs-later", map[string]string{"path": "/srv/shared"})
		shared    = []string{"/srv/shared"}
	)
	nfsLater.VolumeBindingMode = &wffc
	tests := []struct {
		name  string
		state claimState
		want  claimOutcome
	}{
		{
			name:  "a new claim gets pvc-protection and binds the volume that fits",
			state: claimState{claim: newPVC("data", "1Gi", pvcFinalizers()), volumes: volumes(newPV("v", "1Gi"))},
			want:  claimOutcome{AddFinalizer: true, Bind: "v"},
		},
		{
			name:  "no volume and no class: FailedBinding, Pending",
			state: claimState{claim: newPVC("data", "1Gi"), volumes: volumes(newPV("small", "500Mi"))},
			want: claimOutcome{Phase: corev1.ClaimPending,
				Events: []string{"Normal FailedBinding no persistent volumes available for this claim and no storage class is set"}},
		},
		{
			name:  "a class that does not exist: ProvisioningFailed, Pending",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("gold"))},
			want: claimOutcome{Phase: corev1.ClaimPending,
				Events: []string{`Warning ProvisioningFailed storageclass.storage.k8s.io "gold" not found`}},
		},
		{
			name:  "a static volume of the class is bound before anything is provisioned",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("nfs")), class: external, volumes: volumes(newPV("v", "1Gi", pvClass("nfs")))},
			want:  claimOutcome{Bind: "v"},
		},
		{
			name:  "an external provisioner is named on the claim and awaited",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("nfs")), class: external},
			want: claimOutcome{Annotate: "example.com/nfs", Phase: corev1.ClaimPending,
				Events: []string{"Normal ExternalProvisioning " + externalWait}},
		},
		{
			name: "an external provisioner already named is not named again",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("nfs"),
				pvcAnnotation(AnnStorageProvisioner, "example.com/nfs"), pvcAnnotation(AnnBetaStorageProvisioner, "example.com/nfs")), class: external},
			want: claimOutcome{Phase: corev1.ClaimPending, Events: []string{"Normal ExternalProvisioning " + externalWait}},
		},
		{
			name:  "kubernetes.io/ provisioners are upstream's in-tree plugins, absent here",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("local-storage"), selected), class: noProv, node: newNode("node-a")},
			want: claimOutcome{Phase: corev1.ClaimPending,
				Events: []string{"Warning ProvisioningFailed no volume plugin matched name: kubernetes.io/no-provisioner"}},
		},
		{
			name:  "WaitForFirstConsumer without a selected node waits, even with a free volume",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("local-path")), class: localPath, volumes: volumes(newPV("v", "1Gi", pvClass("local-path"))), root: "/data/volumes"},
			want: claimOutcome{Phase: corev1.ClaimPending,
				Events: []string{"Normal WaitForFirstConsumer waiting for first consumer to be created before binding"}},
		},
		{
			name:  "WaitForFirstConsumer with a pod waiting for the scheduler says so",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("local-path")), class: localPath, unscheduledPods: []string{"web-0"}, root: "/data/volumes"},
			want: claimOutcome{Phase: corev1.ClaimPending,
				Events: []string{"Normal WaitForPodScheduled waiting for pod web-0 to be scheduled"}},
		},
		{
			name:  "WaitForFirstConsumer with several pods waiting names them all",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("local-path")), class: localPath, unscheduledPods: []string{"a", "b"}, root: "/data/volumes"},
			want: claimOutcome{Phase: corev1.ClaimPending,
				Events: []string{"Normal WaitForPodScheduled waiting for pods a,b to be scheduled"}},
		},
		{
			name:  "local-path with a selected node: named and provisioned",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("local-path"), selected), class: localPath, node: newNode("node-a"), root: "/data/volumes"},
			want:  claimOutcome{Annotate: Provisioner, Provision: "pvc-uid-data", Phase: corev1.ClaimPending},
		},
		{
			name: "local-path with its provisioned volume in the cache: bound",
			state: claimState{
				claim: newPVC("data", "1Gi", pvcClass("local-path"), selected,
					pvcAnnotation(AnnStorageProvisioner, Provisioner), pvcAnnotation(AnnBetaStorageProvisioner, Provisioner)),
				class:   localPath,
				node:    newNode("node-a"),
				volumes: volumes(newPV("pvc-uid-data", "1Gi", pvClass("local-path"), pvPhase(""), pvOnNode("node-a"), pvClaim("default", "data", "uid-data"))),
				root:    "/data/volumes",
			},
			want: claimOutcome{Bind: "pvc-uid-data"},
		},
		{
			name: "WaitForFirstConsumer with static volumes binds one on the selected node",
			state: claimState{
				claim:   newPVC("data", "1Gi", pvcClass("local-storage"), pvcAnnotation(AnnSelectedNode, "node-b")),
				class:   noProv,
				node:    newNode("node-b"),
				volumes: volumes(newPV("on-a", "1Gi", pvClass("local-storage"), pvOnNode("node-a")), newPV("on-b", "5Gi", pvClass("local-storage"), pvOnNode("node-b"))),
			},
			want: claimOutcome{Bind: "on-b"},
		},
		{
			name:  "local-path needs a node: an Immediate class cannot provision",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("local-now")), class: localNow, root: "/data/volumes"},
			want: claimOutcome{Annotate: Provisioner, Phase: corev1.ClaimPending,
				Events: []string{`Warning ProvisioningFailed failed to provision volume with StorageClass "local-now": configuration error, no node was specified`}},
		},
		{
			name:  "local-path does not provision for a claim with a selector",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("local-path"), selected, pvcSelector("a", "b")), class: localPath, node: newNode("node-a"), root: "/data/volumes"},
			want: claimOutcome{Annotate: Provisioner, Phase: corev1.ClaimPending,
				Events: []string{`Warning ProvisioningFailed failed to provision volume with StorageClass "local-path": claim Selector is not supported`}},
		},
		{
			name:  "local-path is off without a volume directory",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("local-path"), selected), class: localPath, node: newNode("node-a")},
			want: claimOutcome{Annotate: Provisioner, Phase: corev1.ClaimPending,
				Events: []string{`Warning ProvisioningFailed failed to provision volume with StorageClass "local-path": local-path volumes are not enabled on this control plane (no volume directory configured)`}},
		},
		{
			name:  "shared-path binds at once: no node needed, provisioned and named",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("nfs-client")), class: nfsClient, sharedDirs: shared},
			want:  claimOutcome{Annotate: SharedPathProvisioner, Provision: "pvc-uid-data", Phase: corev1.ClaimPending},
		},
		{
			name: "shared-path with its provisioned volume in the cache: bound",
			state: claimState{
				claim: newPVC("data", "1Gi", pvcClass("nfs-client"),
					pvcAnnotation(AnnStorageProvisioner, SharedPathProvisioner), pvcAnnotation(AnnBetaStorageProvisioner, SharedPathProvisioner)),
				class:      nfsClient,
				volumes:    volumes(sharedPV("pvc-uid-data", "/srv/shared", "default-data-pvc-uid-data", pvClass("nfs-client"), pvPhase(""))),
				sharedDirs: shared,
			},
			want: claimOutcome{Bind: "pvc-uid-data"},
		},
		{
			name:  "shared-path with WaitForFirstConsumer provisions once a node is selected, for any node",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("nfs-later"), selected), class: nfsLater, node: newNode("node-a"), sharedDirs: shared},
			want:  claimOutcome{Annotate: SharedPathProvisioner, Provision: "pvc-uid-data", Phase: corev1.ClaimPending},
		},
		{
			name:  "shared-path without a path: ProvisioningFailed, Pending",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("nfs")), class: sharedClass("nfs", nil), sharedDirs: shared},
			want: claimOutcome{Annotate: SharedPathProvisioner, Phase: corev1.ClaimPending,
				Events: []string{`Warning ProvisioningFailed failed to provision volume with StorageClass "nfs": parameter "path" is required: the shared directory, mounted at the same path on every node`}},
		},
		{
			name:  "shared-path with a relative path: ProvisioningFailed, Pending",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("nfs")), class: sharedClass("nfs", map[string]string{"path": "nfs"}), sharedDirs: shared},
			want: claimOutcome{Annotate: SharedPathProvisioner, Phase: corev1.ClaimPending,
				Events: []string{`Warning ProvisioningFailed failed to provision volume with StorageClass "nfs": parameter "path" must be an absolute path, not "nfs"`}},
		},
		{
			name:  "shared-path is off without shared volume directories",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("nfs-client")), class: nfsClient},
			want: claimOutcome{Annotate: SharedPathProvisioner, Phase: corev1.ClaimPending,
				Events: []string{`Warning ProvisioningFailed failed to provision volume with StorageClass "nfs-client": ` + errSharedPathDisabled.Error()}},
		},
		{
			name:  "a claim naming a volume that does not exist waits",
			state: claimState{claim: newPVC("data", "1Gi", pvcVolume("v")), volumes: volumes(newPV("other", "1Gi"))},
			want:  claimOutcome{Phase: corev1.ClaimPending},
		},
		{
			name:  "a claim naming a free volume that fits binds it",
			state: claimState{claim: newPVC("data", "1Gi", pvcVolume("v")), volumes: volumes(newPV("small", "1Gi"), newPV("v", "9Gi"))},
			want:  claimOutcome{Bind: "v"},
		},
		{
			name:  "a claim naming a volume that does not fit is told why",
			state: claimState{claim: newPVC("data", "5Gi", pvcVolume("v")), volumes: volumes(newPV("v", "1Gi"))},
			want: claimOutcome{Phase: corev1.ClaimPending,
				Events: []string{`Warning VolumeMismatch Cannot bind to requested volume "v": requested PV is too small`}},
		},
		{
			name:  "a claim naming a volume held by another claim waits for it",
			state: claimState{claim: newPVC("data", "1Gi", pvcVolume("v")), volumes: volumes(newPV("v", "1Gi", pvClaim("default", "other", "uid-other")))},
			want:  claimOutcome{Phase: corev1.ClaimPending},
		},
		{
			name:  "a claim naming a volume reserved for it completes the binding",
			state: claimState{claim: newPVC("data", "1Gi", pvcVolume("v")), volumes: volumes(newPV("v", "1Gi", pvClaim("default", "data", "")))},
			want:  claimOutcome{Bind: "v"},
		},
		{
			name:  "a bound claim with its volume in step: bind again, writing nothing new",
			state: claimState{claim: newPVC("data", "1Gi", bound("v")), volumes: volumes(newPV("v", "1Gi", pvClaim("default", "data", "uid-data"), pvPhase(corev1.VolumeBound)))},
			want:  claimOutcome{Bind: "v"},
		},
		{
			name:  "a bound claim whose volume came unbound is bound again",
			state: claimState{claim: newPVC("data", "1Gi", bound("v")), volumes: volumes(newPV("v", "1Gi"))},
			want:  claimOutcome{Bind: "v"},
		},
		{
			name:  "a bound claim whose volume is gone is Lost",
			state: claimState{claim: newPVC("data", "1Gi", bound("v"))},
			want: claimOutcome{Phase: corev1.ClaimLost,
				Events: []string{"Warning ClaimLost Bound claim has lost its PersistentVolume. Data on the volume is lost!"}},
		},
		{
			name:  "a Lost claim is not announced again",
			state: claimState{claim: newPVC("data", "1Gi", bound("v"), pvcPhase(corev1.ClaimLost))},
			want:  claimOutcome{Phase: corev1.ClaimLost},
		},
		{
			name:  "a bound claim whose volumeName was cleared is Lost",
			state: claimState{claim: newPVC("data", "1Gi", bound(""))},
			want: claimOutcome{Phase: corev1.ClaimLost,
				Events: []string{"Warning ClaimLost Bound claim has lost reference to PersistentVolume. Data on the volume is lost!"}},
		},
		{
			name:  "a bound claim whose volume is bound to another claim is misbound",
			state: claimState{claim: newPVC("data", "1Gi", bound("v")), volumes: volumes(newPV("v", "1Gi", pvClaim("default", "data", "uid-other")))},
			want: claimOutcome{Phase: corev1.ClaimLost,
				Events: []string{"Warning ClaimMisbound Two claims are bound to the same volume, this one is bound incorrectly"}},
		},
		{
			name:  "a claim created before any default class gets the default once there is one",
			state: claimState{claim: newPVC("data", "1Gi", pvcNoClass), defaultClass: "local-path", volumes: volumes(newPV("v", "1Gi"))},
			want:  claimOutcome{SetClass: "local-path"},
		},
		{
			name:  "a claim without a class and no default binds a class-less volume",
			state: claimState{claim: newPVC("data", "1Gi", pvcNoClass), volumes: volumes(newPV("v", "1Gi"))},
			want:  claimOutcome{Bind: "v"},
		},
		{
			name:  "class \"\" is a choice: no default is assigned",
			state: claimState{claim: newPVC("data", "1Gi"), defaultClass: "local-path", volumes: volumes(newPV("v", "1Gi"))},
			want:  claimOutcome{Bind: "v"},
		},
		{
			name:  "a class given by the beta annotation is a choice too",
			state: claimState{claim: newPVC("data", "1Gi", pvcNoClass, pvcAnnotation(annBetaStorageClass, "")), defaultClass: "local-path", volumes: volumes(newPV("v", "1Gi"))},
			want:  claimOutcome{Bind: "v"},
		},
		{
			name:  "a bound claim is not given a default class",
			state: claimState{claim: newPVC("data", "1Gi", pvcNoClass, bound("v")), defaultClass: "local-path", volumes: volumes(newPV("v", "1Gi", pvClaim("default", "data", "uid-data")))},
			want:  claimOutcome{Bind: "v"},
		},
		{
			name:  "a deleted claim in use keeps its finalizer and its binding",
			state: claimState{claim: newPVC("data", "1Gi", bound("v"), pvcDeleting), inUse: true, volumes: volumes(newPV("v", "1Gi", pvClaim("default", "data", "uid-data")))},
			want:  claimOutcome{Bind: "v"},
		},
		{
			name:  "a deleted claim no pod uses loses its finalizer and nothing else happens",
			state: claimState{claim: newPVC("data", "1Gi", bound("v"), pvcDeleting), volumes: volumes(newPV("v", "1Gi", pvClaim("default", "data", "uid-data")))},
			want:  claimOutcome{RemoveFinalizer: true},
		},
		{
			name:  "a deleted claim that was never bound is neither bound nor provisioned",
			state: claimState{claim: newPVC("data", "1Gi", pvcClass("local-path"), selected, pvcDeleting), inUse: true, class: localPath, node: newNode("node-a"), root: "/data/volumes", volumes: volumes(newPV("v", "1Gi"))},
			want:  claimOutcome{},
		},
		{
			name:  "a deleted claim without the finalizer does not get it back",
			state: claimState{claim: newPVC("data", "1Gi", pvcDeleting, pvcFinalizers())},
			want:  claimOutcome{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := planClaim(tt.state)
			if err != nil {
				t.Fatalf("planClaim: %v", err)
			}
			if diff := cmp.Diff(tt.want, outcomeOf(plan)); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProvisioningEventsAreSigned checks who signs a ProvisioningFailed event: each of
// ordinal's provisioners its own, as external provisioners do; the controller the rest.
func TestProvisioningEventsAreSigned(t *testing.T) {
	tests := []struct {
		name  string
		state claimState
		want  string
	}{
		{"local-path", claimState{claim: newPVC("data", "1Gi", pvcClass("local-path"), pvcAnnotation(AnnSelectedNode, "a")),
			class: DefaultStorageClass(), node: newNode("a")}, Provisioner},
		{"shared-path", claimState{claim: newPVC("data", "1Gi", pvcClass("nfs")), class: sharedClass("nfs", nil)}, SharedPathProvisioner},
		{"a missing class", claimState{claim: newPVC("data", "1Gi", pvcClass("nfs"))}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := planClaim(tt.state)
			if err != nil {
				t.Fatal(err)
			}
			if len(plan.events) != 1 || plan.events[0].reason != reasonProvisioningFailed || plan.events[0].provisioner != tt.want {
				t.Errorf("events %+v, want one ProvisioningFailed signed %q", plan.events, tt.want)
			}
		})
	}
}

func TestPlanClaimErrors(t *testing.T) {
	tests := []struct {
		name  string
		state claimState
	}{
		{
			name: "a claim the controller bound to a volume now held by another claim",
			state: claimState{claim: newPVC("data", "1Gi", pvcVolume("v"), pvcAnnotation(AnnBoundByController, "yes")),
				volumes: volumes(newPV("v", "1Gi", pvClaim("default", "other", "uid-other")))},
		},
		{
			name:  "a claim with a selector that does not parse",
			state: claimState{claim: newPVC("data", "1Gi", pvcSelector("bad key!", "x"))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := planClaim(tt.state); err == nil {
				t.Fatal("planClaim: no error")
			}
		})
	}
}
