package process

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"

	"ordinal.dev/ordinal/internal/image"
	"ordinal.dev/ordinal/internal/runtime"
)

// EnsureImage implements runtime.Runtime with the node's image store. Policy Always pulls
// (layers already present are not fetched again); when that pull fails and the image is
// in the store, the stored one is used, so that `latest` images imported with `ordinal
// image import` run with no registry, as DESIGN.md promises.
func (r *Runtime) EnsureImage(ctx context.Context, ref string, policy corev1.PullPolicy, pullSecrets [][]byte) (runtime.ImageResult, error) {
	present, err := r.images.Has(ref)
	if err != nil {
		return runtime.ImageResult{}, err
	}
	switch policy {
	case corev1.PullNever:
		if !present {
			return runtime.ImageResult{}, fmt.Errorf("image %q: %w", ref, runtime.ErrImageNeverPull)
		}
		return runtime.ImageResult{}, nil
	case corev1.PullAlways:
	default:
		if present {
			return runtime.ImageResult{}, nil
		}
	}
	start := time.Now()
	img, err := r.images.Pull(ctx, ref, image.PullOptions{PullSecrets: pullSecrets})
	if err != nil {
		if present && ctx.Err() == nil && !errors.Is(err, image.ErrInvalidReference) {
			slog.Info("process runtime: pull failed; using the stored image", "image", ref, "err", err)
			return runtime.ImageResult{}, nil
		}
		return runtime.ImageResult{}, err
	}
	return runtime.ImageResult{Pulled: true, Duration: time.Since(start), Size: img.Size}, nil
}
