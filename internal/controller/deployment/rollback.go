package deployment

import (
	"fmt"
	"strconv"

	apps "k8s.io/api/apps/v1"
	v1 "k8s.io/api/core/v1"
)

// Reasons of rollback events.
const (
	RollbackRevisionNotFound  = "DeploymentRollbackRevisionNotFound"
	RollbackTemplateUnchanged = "DeploymentRollbackTemplateUnchanged"
	RollbackDone              = "DeploymentRollback"
)

// getRollbackTo returns the revision the legacy rollback annotation asks for, if any
// (0: the previous one). kubectl's undo does not use it: it patches the template itself.
func getRollbackTo(d *apps.Deployment) *int64 {
	v := d.Annotations[DeprecatedRollbackTo]
	if v == "" {
		return nil
	}
	rev, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil
	}
	return &rev
}

// rollback copies the template of the requested revision's ReplicaSet to the
// Deployment and clears the request; the next sync then rolls out as for any change.
func (p *planner) rollback() error {
	newRS, allOld, err := p.getAllReplicaSetsAndSyncRevision(true)
	if err != nil {
		return err
	}
	allRSs := append(allOld, newRS)
	to := *getRollbackTo(p.d)
	if to == 0 {
		if to = lastRevision(allRSs); to == 0 {
			p.recordEvent(v1.EventTypeWarning, RollbackRevisionNotFound, "Unable to find last revision.")
			p.updateDeploymentAndClearRollbackTo()
			return nil
		}
	}
	for _, rs := range allRSs {
		if v, err := revision(rs); err != nil || v != to {
			continue
		}
		if p.rollbackToTemplate(rs) {
			p.recordEvent(v1.EventTypeNormal, RollbackDone, fmt.Sprintf("Rolled back deployment %q to revision %d", p.d.Name, to))
		}
		return nil
	}
	p.recordEvent(v1.EventTypeWarning, RollbackRevisionNotFound, "Unable to find the revision to rollback to.")
	p.updateDeploymentAndClearRollbackTo()
	return nil
}

// rollbackToTemplate sets the Deployment's template and annotations from rs, unless the
// template is already rs's; it reports whether it rolled back.
func (p *planner) rollbackToTemplate(rs *apps.ReplicaSet) bool {
	d := p.d
	done := false
	if !EqualIgnoreHash(&d.Spec.Template, &rs.Spec.Template) {
		d.Spec.Template.ObjectMeta = *rs.Spec.Template.ObjectMeta.DeepCopy()
		d.Spec.Template.Spec = *rs.Spec.Template.Spec.DeepCopy()
		delete(d.Spec.Template.Labels, apps.DefaultDeploymentUniqueLabelKey)
		setDeploymentAnnotationsTo(d, rs)
		done = true
	} else {
		p.recordEvent(v1.EventTypeWarning, RollbackTemplateUnchanged, fmt.Sprintf("The rollback revision contains the same template as current deployment %q", d.Name))
	}
	p.updateDeploymentAndClearRollbackTo()
	return done
}

func (p *planner) updateDeploymentAndClearRollbackTo() {
	delete(p.d.Annotations, DeprecatedRollbackTo)
	p.out.actions = append(p.out.actions, action{kind: updateDeployment, deployment: p.d.DeepCopy()})
}
