package printers

import "reflect"

// printersByType lists every kind with its own table, in one place, so a
// reader can see at a glance what `kubectl get` prints fully for ordinal.
// Lists need no entry: Table finds a list's printer through its item type.
var printersByType = func() map[reflect.Type]printer {
	m := map[reflect.Type]printer{}

	// core/v1
	add(m, podColumns, printPod)
	add(m, nodeColumns, printNode)
	add(m, namespaceColumns, printNamespace)
	add(m, serviceColumns, printService)
	add(m, endpointsColumns, printEndpoints)
	add(m, configMapColumns, printConfigMap)
	add(m, secretColumns, printSecret)
	add(m, serviceAccountColumns, printServiceAccount)
	add(m, persistentVolumeColumns, printPersistentVolume)
	add(m, persistentVolumeClaimColumns, printPersistentVolumeClaim)
	add(m, eventColumns, printEvent)
	add(m, replicationControllerColumns, printReplicationController)

	// apps/v1
	add(m, statefulSetColumns, printStatefulSet)
	add(m, deploymentColumns, printDeployment)
	add(m, replicaSetColumns, printReplicaSet)
	add(m, daemonSetColumns, printDaemonSet)
	add(m, controllerRevisionColumns, printControllerRevision)

	// batch/v1
	add(m, jobColumns, printJob)
	add(m, cronJobColumns, printCronJob)

	// storage.k8s.io/v1
	add(m, storageClassColumns, printStorageClass)

	// networking.k8s.io/v1
	add(m, ingressColumns, printIngress)
	add(m, ingressClassColumns, printIngressClass)

	// discovery.k8s.io/v1
	add(m, endpointSliceColumns, printEndpointSlice)

	// coordination.k8s.io/v1
	add(m, leaseColumns, printLease)

	// certificates.k8s.io/v1
	add(m, certificateSigningRequestColumns, printCertificateSigningRequest)

	// events.k8s.io/v1 shares core events' columns, as upstream stores both as one kind.
	add(m, eventColumns, printEventsV1Event)

	return m
}()
