package defaults

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// defaultRevisionHistoryLimit is how many old ReplicaSets or
// ControllerRevisions a workload keeps for rollbacks.
const defaultRevisionHistoryLimit = 10

// DefaultDeployment fills in a Deployment's defaults: one replica, a 25%/25%
// rolling update, ten revisions and a ten-minute progress deadline.
func DefaultDeployment(d *appsv1.Deployment) {
	if d.Spec.Replicas == nil {
		d.Spec.Replicas = ptr.To[int32](1)
	}
	strategy := &d.Spec.Strategy
	if strategy.Type == "" {
		strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	// Unlike StatefulSet, an explicit RollingUpdate type also gets its
	// parameters; Recreate gets none (validation forbids them there).
	if strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if strategy.RollingUpdate == nil {
			strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		if strategy.RollingUpdate.MaxUnavailable == nil {
			strategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromString("25%"))
		}
		if strategy.RollingUpdate.MaxSurge == nil {
			strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromString("25%"))
		}
	}
	if d.Spec.RevisionHistoryLimit == nil {
		d.Spec.RevisionHistoryLimit = ptr.To[int32](defaultRevisionHistoryLimit)
	}
	if d.Spec.ProgressDeadlineSeconds == nil {
		d.Spec.ProgressDeadlineSeconds = ptr.To[int32](600)
	}
	DefaultPodTemplateSpec(&d.Spec.Template)
}

// DefaultReplicaSet fills in a ReplicaSet's defaults.
func DefaultReplicaSet(rs *appsv1.ReplicaSet) {
	if rs.Spec.Replicas == nil {
		rs.Spec.Replicas = ptr.To[int32](1)
	}
	DefaultPodTemplateSpec(&rs.Spec.Template)
}

// DefaultDaemonSet fills in a DaemonSet's defaults: a rolling update that
// replaces one node's pod at a time and never runs two on a node.
func DefaultDaemonSet(ds *appsv1.DaemonSet) {
	strategy := &ds.Spec.UpdateStrategy
	if strategy.Type == "" {
		strategy.Type = appsv1.RollingUpdateDaemonSetStrategyType
	}
	if strategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if strategy.RollingUpdate == nil {
			strategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		if strategy.RollingUpdate.MaxUnavailable == nil {
			strategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromInt32(1))
		}
		if strategy.RollingUpdate.MaxSurge == nil {
			strategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(0))
		}
	}
	if ds.Spec.RevisionHistoryLimit == nil {
		ds.Spec.RevisionHistoryLimit = ptr.To[int32](defaultRevisionHistoryLimit)
	}
	DefaultPodTemplateSpec(&ds.Spec.Template)
}

// DefaultStatefulSet fills in a StatefulSet's defaults.
//
// The update strategy follows upstream to the letter: rollingUpdate is only
// created ({partition: 0}) when the type itself was defaulted. A manifest that
// says "type: RollingUpdate" and nothing more keeps rollingUpdate unset, and
// consumers (the controller, kubectl rollout status) treat a nil partition as
// 0. maxUnavailable is not defaulted: the MaxUnavailableStatefulSet gate is
// off in 1.32.
func DefaultStatefulSet(sts *appsv1.StatefulSet) {
	spec := &sts.Spec
	if spec.PodManagementPolicy == "" {
		spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	}
	if spec.UpdateStrategy.Type == "" {
		spec.UpdateStrategy.Type = appsv1.RollingUpdateStatefulSetStrategyType
		if spec.UpdateStrategy.RollingUpdate == nil {
			spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
	}
	if rolling := spec.UpdateStrategy.RollingUpdate; spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType &&
		rolling != nil && rolling.Partition == nil {
		rolling.Partition = ptr.To[int32](0)
	}
	// StatefulSetAutoDeletePVC is GA in 1.32: claims are kept unless the
	// user asks otherwise.
	if spec.PersistentVolumeClaimRetentionPolicy == nil {
		spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	if spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted == "" {
		spec.PersistentVolumeClaimRetentionPolicy.WhenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if spec.PersistentVolumeClaimRetentionPolicy.WhenScaled == "" {
		spec.PersistentVolumeClaimRetentionPolicy.WhenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](defaultRevisionHistoryLimit)
	}
	DefaultPodTemplateSpec(&spec.Template)
	for i := range spec.VolumeClaimTemplates {
		claim := &spec.VolumeClaimTemplates[i]
		// Upstream servers return every claim template with its type
		// spelled out (k8s-semantics 1.1); leaving it out makes GitOps tools
		// see a permanent diff against what a real cluster shows.
		if claim.APIVersion == "" {
			claim.APIVersion = "v1"
		}
		if claim.Kind == "" {
			claim.Kind = "PersistentVolumeClaim"
		}
		DefaultPersistentVolumeClaim(claim)
	}
}
