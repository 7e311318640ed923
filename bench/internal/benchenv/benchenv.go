// Package benchenv holds what the benchmark tools set up the way homebell serve does.
package benchenv

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/gcfloor"
)

// GCFloor starts the heap floor as serve does: cfg's floor, or HOMEBELL_GC_FLOOR_MIB when set (read
// into cfg), with GOGC or GOMEMLIMIT in the environment leaving the runtime alone. The caller
// stops it when the run ends.
func GCFloor(cfg *config.Config, log *slog.Logger) (*gcfloor.Floor, error) {
	if v := os.Getenv("HOMEBELL_GC_FLOOR_MIB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("HOMEBELL_GC_FLOOR_MIB=%q: want a number of MiB, 0 or more", v)
		}
		cfg.GCFloorMiB = n
	}
	return gcfloor.Start(uint64(cfg.GCFloorMiB)<<20, os.Getenv, log), nil
}
