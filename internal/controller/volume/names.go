package volume

// Names of the ordinal local-path storage, fixed by the project's shared contract.
const (
	// Provisioner is the provisioner name of ordinal's built-in local volumes.
	Provisioner = "ordinal.dev/local-path"
	// StorageClassName is the name of the default StorageClass using Provisioner.
	StorageClassName = "local-path"
)

// Names of the ordinal shared-path storage (see sharedpath.go).
const (
	// SharedPathProvisioner is the provisioner name of ordinal's shared-path volumes:
	// sub-directories of a directory mounted at the same path on every node, as NFS client
	// provisioners make them.
	SharedPathProvisioner = "ordinal.dev/shared-path"
	// AnnSharedPathRoot records on a shared-path volume the class's path parameter: the
	// directory its own directory is in, and where it is archived.
	AnnSharedPathRoot = "ordinal.dev/shared-path-root"
	// AnnSharedPathOnDelete records on a shared-path volume what becomes of its directory
	// when the volume is reclaimed with policy Delete: one of the onDelete values below. It
	// is taken from the class at provisioning, so that deleting the class later changes
	// nothing, and may be changed on one volume by hand.
	AnnSharedPathOnDelete = "ordinal.dev/shared-path-on-delete"
)

// What becomes of a shared-path volume's directory when the volume is reclaimed.
const (
	onDeleteDelete  = "delete"
	onDeleteArchive = "archive"
	onDeleteRetain  = "retain"
)

// Annotations the controller reads and writes; the values are upstream's.
const (
	// AnnBindCompleted marks a claim whose binding has been completed once; from then on
	// losing its volume makes it Lost rather than Pending.
	AnnBindCompleted = "pv.kubernetes.io/bind-completed"
	// AnnBoundByController marks the side of a binding the controller wrote (as opposed to
	// one pre-bound by a user or a provisioner).
	AnnBoundByController = "pv.kubernetes.io/bound-by-controller"
	// AnnSelectedNode is set on a claim by the scheduler for delayed binding.
	AnnSelectedNode = "volume.kubernetes.io/selected-node"
	// AnnProvisionedBy names the provisioner that created a volume.
	AnnProvisionedBy = "pv.kubernetes.io/provisioned-by"
	// AnnStorageProvisioner and its beta twin name the provisioner expected to provision
	// a claim.
	AnnStorageProvisioner     = "volume.kubernetes.io/storage-provisioner"
	AnnBetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
	// annBetaStorageClass predates spec.storageClassName and still wins over it.
	annBetaStorageClass = "volume.beta.kubernetes.io/storage-class"
	// AnnIsDefaultClass (and its beta twin) mark the default StorageClass.
	AnnIsDefaultClass     = "storageclass.kubernetes.io/is-default-class"
	annBetaIsDefaultClass = "storageclass.beta.kubernetes.io/is-default-class"
)

// Finalizers.
const (
	// ClaimProtectionFinalizer keeps a claim while a pod uses it.
	ClaimProtectionFinalizer = "kubernetes.io/pvc-protection"
	// VolumeProtectionFinalizer keeps a volume while it is bound.
	VolumeProtectionFinalizer = "kubernetes.io/pv-protection"
	// ProvisionerFinalizer keeps a provisioned volume with reclaim policy Delete until its
	// storage is gone, even when the object is deleted by hand (upstream's
	// HonorPVReclaimPolicy). For local-path volumes the node that holds the directory
	// removes it.
	ProvisionerFinalizer = "external-provisioner.volume.kubernetes.io/finalizer"
)

// Event reasons, as upstream's persistentvolume-controller and external provisioners use them.
const (
	reasonFailedBinding         = "FailedBinding"
	reasonVolumeMismatch        = "VolumeMismatch"
	reasonClaimLost             = "ClaimLost"
	reasonClaimMisbound         = "ClaimMisbound"
	reasonWaitForFirstConsumer  = "WaitForFirstConsumer"
	reasonWaitForPodScheduled   = "WaitForPodScheduled"
	reasonExternalProvisioning  = "ExternalProvisioning"
	reasonProvisioning          = "Provisioning"
	reasonProvisioningFailed    = "ProvisioningFailed"
	reasonProvisioningSucceeded = "ProvisioningSucceeded"
	reasonVolumeFailedRecycle   = "VolumeFailedRecycle"
	reasonVolumeFailedDelete    = "VolumeFailedDelete"
	// reasonVolumeDirectoryKept is ordinal's: a shared-path volume's directory outlives the
	// volume because another volume's directory is that one or inside it.
	reasonVolumeDirectoryKept = "VolumeDirectoryKept"
)

// Event sources shown by kubectl describe.
const (
	controllerComponent = "persistentvolume-controller"
)
