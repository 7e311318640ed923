package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(Case{"jobs/scheduled many at once, a key replaces its job", jobsScheduleMany})
}

func jobsScheduleMany(t *testing.T, s *store.Store) {
	ctx := context.Background()
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.ScheduleJobs(ctx, []model.Job{
			{Kind: "a", Key: "k1", Payload: []byte(`{"n":1}`), RunAt: at(time.Minute), MaxAttempts: 3},
			{Kind: "b", Payload: []byte(`{}`), RunAt: at(2 * time.Minute)},
			{Kind: "a", Key: "k1", Payload: []byte(`{"n":2}`), RunAt: at(3 * time.Minute), MaxAttempts: 4},
		}, T0)
	})
	j, err := s.JobByKey(ctx, "k1")
	if err != nil || j.Kind != "a" || string(j.Payload) != `{"n":2}` || j.MaxAttempts != 4 || j.State != model.JobScheduled || j.Attempts != 0 {
		t.Fatalf("job k1 = %+v %v", j, err)
	}
	wantUTC(t, "run_at", j.RunAt, at(3*time.Minute))
	wantUTC(t, "created_at", j.CreatedAt, T0)
	wantUTC(t, "updated_at", j.UpdatedAt, T0)
}
