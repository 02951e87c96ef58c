package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// workloads measures the StatefulSet, scheduler and Deployment goals on the sim runtime with
// no start delay, each in a fresh cluster.
func workloads(bin string) {
	fmt.Printf("## Workloads on the sim runtime (%s)\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| measurement | result | goal |")
	fmt.Println("|---|---|---|")
	for _, policy := range []appsv1.PodManagementPolicyType{appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement} {
		withCluster(bin, nil, func(client kubernetes.Interface) {
			d := timeStatefulSet(client, policy, 100)
			goal := "report"
			if policy == appsv1.OrderedReadyPodManagement {
				goal = "≤ 2 s"
			}
			fmt.Printf("| StatefulSet, 100 replicas, %s, one volumeClaimTemplate: apply to readyReplicas=100 | %s | %s |\n", policy, sec(d), goal)
		})
	}
	withCluster(bin, []string{"--runtime=none", "--sim-nodes=10"}, func(client kubernetes.Interface) {
		d := timePendingPods(client, 1000)
		fmt.Printf("| 1000 pending pods bound on 10 simulated nodes | %s, %.0f pods/s | report |\n", sec(d), 1000/d.Seconds())
	})
	withCluster(bin, nil, func(client kubernetes.Interface) {
		create, roll := timeDeployment(client, 100)
		fmt.Printf("| Deployment, 100 replicas: apply to all available | %s | ≤ 0.8 s |\n", sec(create))
		fmt.Printf("| Deployment, 100 replicas: rolling update (25%%/25%%) to all available | %s | report |\n", sec(roll))
	})
	fmt.Println()
}

func withCluster(bin string, args []string, fn func(kubernetes.Interface)) {
	dir, err := os.MkdirTemp("", "ordinal-bench-")
	check(err)
	defer os.RemoveAll(dir)
	c := start(bin, dir, args...)
	defer c.stop()
	client := c.client()
	// Wait for the nodes to be Ready before timing anything.
	poll(60*time.Second, func() bool {
		nodes, err := client.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
		if err != nil || len(nodes.Items) == 0 {
			return false
		}
		for _, n := range nodes.Items {
			if n.Spec.PodCIDR == "" || !nodeReady(&n) {
				return false
			}
		}
		return true
	})
	fn(client)
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func labels(app string) map[string]string { return map[string]string{"app": app} }

func podTemplate(app, image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels(app)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
	}
}

func timeStatefulSet(client kubernetes.Interface, policy appsv1.PodManagementPolicyType, n int32) time.Duration {
	ctx := context.Background()
	sts := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.StatefulSetSpec{
			Replicas: &n, ServiceName: "web", PodManagementPolicy: policy,
			Selector: &metav1.LabelSelector{MatchLabels: labels("web")},
			Template: podTemplate("web", "busybox:1.36"),
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "www"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
				},
			}},
		},
	}
	begin := time.Now()
	_, err := client.AppsV1().StatefulSets("default").Create(ctx, sts, metav1.CreateOptions{})
	check(err)
	poll(5*time.Minute, func() bool {
		s, err := client.AppsV1().StatefulSets("default").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && s.Status.ReadyReplicas == n
	})
	return time.Since(begin)
}

func timePendingPods(client kubernetes.Interface, n int) time.Duration {
	ctx := context.Background()
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pending-%04d", i), Labels: labels("pending")},
					Spec: podTemplate("pending", "busybox:1.36").Spec}
				_, err := client.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{})
				check(err)
			}
		}()
	}
	begin := time.Now()
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	poll(5*time.Minute, func() bool {
		pods, err := client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: "app=pending"})
		if err != nil {
			return false
		}
		bound := 0
		for _, p := range pods.Items {
			if p.Spec.NodeName != "" {
				bound++
			}
		}
		return bound == n
	})
	return time.Since(begin)
}

func timeDeployment(client kubernetes.Interface, n int32) (time.Duration, time.Duration) {
	ctx := context.Background()
	quarter := intstr.FromString("25%")
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &n, Selector: &metav1.LabelSelector{MatchLabels: labels("web")},
			Template: podTemplate("web", "busybox:1.36"),
			Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &quarter, MaxUnavailable: &quarter}},
		},
	}
	done := func() bool {
		got, err := client.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && got.Status.ObservedGeneration >= got.Generation && got.Status.UpdatedReplicas == n &&
			got.Status.AvailableReplicas == n && got.Status.Replicas == n
	}
	begin := time.Now()
	_, err := client.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{})
	check(err)
	poll(5*time.Minute, done)
	create := time.Since(begin)

	got, err := client.AppsV1().Deployments("default").Get(ctx, "web", metav1.GetOptions{})
	check(err)
	got.Spec.Template.Spec.Containers[0].Image = "busybox:1.37"
	begin = time.Now()
	_, err = client.AppsV1().Deployments("default").Update(ctx, got, metav1.UpdateOptions{})
	check(err)
	poll(5*time.Minute, done)
	return create, time.Since(begin)
}

// poll checks cond every 5 ms until it holds; the interval bounds the measurement's error.
func poll(timeout time.Duration, cond func() bool) {
	err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, timeout, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	check(err)
}

func sec(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
