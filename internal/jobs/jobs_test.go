package jobs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
	"github.com/homebell/homebell/internal/testkit"
)

var t0 = time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)

func setup(t *testing.T, dsn string) (*store.Store, *jobs.Runner, *testkit.Clock) {
	st := storetest.Open(t, dsn)
	c := testkit.NewClock(t0)
	st.Now = c.Now
	return st, jobs.New(st, c.Now, slog.New(slog.DiscardHandler)), c
}

func schedule(t *testing.T, st *store.Store, r *jobs.Runner, kind, key string, at time.Time, payload any, attempts int) {
	t.Helper()
	if err := st.InTx(context.Background(), func(tx *store.Tx) error {
		return r.Schedule(context.Background(), tx, kind, key, at, payload, attempts)
	}); err != nil {
		t.Fatal(err)
	}
}

func runDue(t *testing.T, r *jobs.Runner) int {
	t.Helper()
	n, err := r.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestJobRunsWhenDueAndMovesAndCancelsByKey(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		st, r, c := setup(t, dsn)
		var got []string
		var mu sync.Mutex
		r.Handle("remind", func(ctx context.Context, j model.Job) error {
			var p string
			_ = json.Unmarshal(j.Payload, &p)
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
			return nil
		})
		schedule(t, st, r, "remind", "reminder:o1", t0.Add(time.Hour), "first", 1)
		if n := runDue(t, r); n != 0 {
			t.Fatalf("ran %d jobs before they were due", n)
		}
		// Moving the job by its key replaces it: the old time never fires.
		schedule(t, st, r, "remind", "reminder:o1", t0.Add(2*time.Hour), "moved", 1)
		c.Add(90 * time.Minute)
		if n := runDue(t, r); n != 0 {
			t.Fatalf("the old time fired (%d jobs)", n)
		}
		c.Add(31 * time.Minute)
		if n := runDue(t, r); n != 1 {
			t.Fatalf("ran %d jobs at the moved time, want 1", n)
		}
		if n := runDue(t, r); n != 0 {
			t.Fatalf("a finished job ran again (%d)", n)
		}
		// A cancelled job never runs.
		schedule(t, st, r, "remind", "reminder:o2", c.Now().Add(time.Minute), "cancelled", 1)
		if err := st.InTx(context.Background(), func(tx *store.Tx) error {
			return r.Cancel(context.Background(), tx, "reminder:o2")
		}); err != nil {
			t.Fatal(err)
		}
		c.Add(time.Hour)
		runDue(t, r)
		if fmt.Sprint(got) != "[moved]" {
			t.Fatalf("ran %v, want [moved]", got)
		}
		j, err := st.JobByKey(context.Background(), "reminder:o2")
		if err != nil || j.State != model.JobCancelled {
			t.Fatalf("cancelled job = %+v, %v", j, err)
		}
	})
}

func TestJobRetriesWithBackoffThenFails(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		st, r, c := setup(t, dsn)
		var calls atomic.Int32
		r.Handle("flaky", func(ctx context.Context, j model.Job) error {
			calls.Add(1)
			if j.Attempts == 2 {
				panic("boom") // a panicking handler is a failed attempt, not a dead runner
			}
			return errors.New("gateway down")
		})
		schedule(t, st, r, "flaky", "flaky:1", t0, nil, 3)
		runDue(t, r)
		j, _ := st.JobByKey(context.Background(), "flaky:1")
		if j.State != model.JobScheduled || !j.RunAt.After(t0) || j.LastError != "gateway down" {
			t.Fatalf("after a failure the job is %+v, want rescheduled later with the error", j)
		}
		first := j.RunAt.Sub(t0)
		c.Add(first)
		runDue(t, r)
		j, _ = st.JobByKey(context.Background(), "flaky:1")
		if second := j.RunAt.Sub(c.Now()); second <= first {
			t.Fatalf("backoff did not grow: %v then %v", first, second)
		}
		c.Add(time.Hour)
		runDue(t, r)
		j, _ = st.JobByKey(context.Background(), "flaky:1")
		if j.State != model.JobFailed || j.Attempts != 3 || calls.Load() != 3 {
			t.Fatalf("after 3 attempts: %+v calls=%d, want failed", j, calls.Load())
		}
	})
}

func TestJobRetryAtAndLeaseRecovery(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		st, r, c := setup(t, dsn)
		r.Handle("later", func(ctx context.Context, j model.Job) error {
			if j.Attempts == 1 {
				return jobs.Retry(t0.Add(10*time.Minute), errors.New("window closed"))
			}
			return nil
		})
		schedule(t, st, r, "later", "later:1", t0, nil, 1)
		runDue(t, r)
		j, _ := st.JobByKey(context.Background(), "later:1")
		if j.State != model.JobScheduled || !j.RunAt.Equal(t0.Add(10*time.Minute)) {
			t.Fatalf("Retry(at) gave %+v", j)
		}
		c.Add(10 * time.Minute)
		if runDue(t, r) != 1 {
			t.Fatal("the retried job did not run at its time")
		}

		// A node that claimed a job and died: the job is due again once its lease expires.
		schedule(t, st, r, "later", "later:2", c.Now(), nil, 1)
		if err := st.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.ClaimDueJobs(context.Background(), c.Now(), time.Minute, 10)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if runDue(t, r) != 0 {
			t.Fatal("a job claimed by a live node ran twice")
		}
		c.Add(2 * time.Minute)
		if runDue(t, r) != 1 {
			t.Fatal("a job of a dead node was not recovered after its lease")
		}
	})
}

// Several runners on one PostgreSQL database (several nodes) run every job exactly once.
func TestJobsRunOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	dsn := storetest.PostgresURL(t)
	st1 := storetest.Open(t, dsn)
	st2, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	c := testkit.NewClock(t0)
	var runs sync.Map
	var dup atomic.Int32
	h := func(ctx context.Context, j model.Job) error {
		if _, loaded := runs.LoadOrStore(j.ID, true); loaded {
			dup.Add(1)
		}
		return nil
	}
	r1 := jobs.New(st1, c.Now, slog.New(slog.DiscardHandler))
	r2 := jobs.New(st2, c.Now, slog.New(slog.DiscardHandler))
	r1.Handle("n", h)
	r2.Handle("n", h)
	r1.Batch, r2.Batch = 7, 7
	const total = 300
	for i := range total {
		schedule(t, st1, r1, "n", fmt.Sprintf("n:%d", i), t0, nil, 1)
	}
	var wg sync.WaitGroup
	var ran atomic.Int64
	for _, r := range []*jobs.Runner{r1, r2, r1, r2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := r.RunDue(context.Background())
			if err != nil {
				t.Error(err)
			}
			ran.Add(int64(n))
		}()
	}
	wg.Wait()
	if ran.Load() != total || dup.Load() != 0 {
		t.Fatalf("ran %d (want %d), %d twice", ran.Load(), total, dup.Load())
	}
}

// Issue 10, defect 1: a job claimed at the moment of a crash stayed "running" until its lease
// ran out, so reminders due then were late or lost. A node starting up recovers the claims of
// its previous life at once; on PostgreSQL it leaves other nodes' claims alone.
func TestRestartedNodeRecoversItsClaimsAtOnce(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		st, r, c := setup(t, dsn)
		var ran atomic.Int32
		r.Handle("remind", func(ctx context.Context, j model.Job) error { ran.Add(1); return nil })
		r.SetNode("n1")
		previous := r.Life
		schedule(t, st, r, "remind", "reminder:crash", t0, nil, 3)
		schedule(t, st, r, "remind", "reminder:other-node", t0, nil, 3)
		// The previous life claimed the first job and died (SIGKILL) before finishing it; another
		// node, alive, runs the second.
		claimAs := func(owner string) {
			t.Helper()
			if err := st.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := tx.ClaimDueJobsAs(context.Background(), owner, c.Now(), r.Lease, 1)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		claimAs(previous)
		claimAs("n2/alive")
		if n := runDue(t, r); n != 0 {
			t.Fatalf("ran %d jobs claimed by others before recovery", n)
		}
		r.SetNode("n1") // the restart: a new life of the same node
		n, err := r.Recover(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want := int64(1)
		if st.Dialect() == store.SQLite {
			want = 2 // one node per SQLite file: everything left running is orphaned
		}
		if n != want {
			t.Fatalf("recovered %d claims, want %d", n, want)
		}
		// Without moving the clock (the lease has not run out), the recovered job runs now.
		if got := runDue(t, r); got != int(want) || ran.Load() != int32(want) {
			t.Fatalf("after restart ran %d (handler %d), want %d", got, ran.Load(), want)
		}
		if j, _ := st.JobByKey(context.Background(), "reminder:crash"); j.State != model.JobDone {
			t.Errorf("recovered job is %s", j.State)
		}
	})
}

// Issue 10, defect 1: the heartbeat extends the lease of a running job, so a job that runs longer
// than its lease is not taken over (and run a second time) by another runner.
func TestHeartbeatKeepsALongJobFromRunningTwice(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		st, a, c := setup(t, dsn)
		b := jobs.New(st, c.Now, slog.New(slog.DiscardHandler))
		a.SetNode("a")
		b.SetNode("b")
		var runs atomic.Int32
		entered, release := make(chan struct{}), make(chan struct{})
		long := func(ctx context.Context, j model.Job) error {
			if runs.Add(1) == 1 {
				entered <- struct{}{}
				<-release
			}
			return nil
		}
		a.Handle("long", long)
		b.Handle("long", long)
		schedule(t, st, a, "long", "long:1", t0, nil, 3)
		done := make(chan struct{})
		go func() { defer close(done); runDue(t, a) }()
		<-entered
		for range 4 { // a minute of work, a heartbeat every 15 s (the lease)
			c.Add(a.Lease - time.Second)
			if err := a.Heartbeat(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := runDue(t, b); n != 0 {
				t.Fatalf("another runner took over a job whose runner is alive (%d)", n)
			}
		}
		// Without heartbeats the lease runs out and the job is run again: the test can fail.
		c.Add(a.Lease + time.Second)
		if n := runDue(t, b); n != 1 {
			t.Fatalf("a job whose lease ran out was not taken over (%d)", n)
		}
		close(release)
		<-done
		if runs.Load() != 2 {
			t.Errorf("%d runs, want 2 (once held by heartbeats, once after they stopped)", runs.Load())
		}
	})
}

// A runner claims no more jobs than it can run at once, so no claimed job waits for a slot while
// its lease runs out.
func TestRunnerClaimsNoMoreThanItRuns(t *testing.T) {
	t.Parallel()
	st, r, c := setup(t, storetest.SQLitePath(t))
	r.Concurrency = 2
	release := make(chan struct{})
	started := make(chan struct{}, 5)
	r.Handle("slow", func(ctx context.Context, j model.Job) error { started <- struct{}{}; <-release; return nil })
	for i := range 5 {
		schedule(t, st, r, "slow", fmt.Sprintf("slow:%d", i), t0, nil, 1)
	}
	done := make(chan int)
	go func() { done <- runDue(t, r) }()
	<-started // two handlers run, and wait for release
	<-started
	var running int
	if err := st.InTx(context.Background(), func(tx *store.Tx) error {
		jobs, err := tx.ClaimDueJobsAs(context.Background(), "probe", c.Now(), time.Nanosecond, 100)
		running = 5 - len(jobs)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if running != 2 {
		t.Errorf("%d jobs claimed while 2 run, want 2", running)
	}
	close(release)
	<-done
}

// A handler that completes its job in its own transaction commits the work and the job's end
// together: a rolled-back transaction leaves the job to be retried, and an attempt whose lease was
// lost to another claim has its work rolled back instead of doubled.
func TestJobCompletedInTheHandlersTransaction(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		st, r, c := setup(t, dsn)
		ctx := context.Background()
		failOnce := true
		var r2 *jobs.Runner
		r.Handle("work", func(ctx context.Context, j model.Job) error {
			var key string
			_ = json.Unmarshal(j.Payload, &key)
			if key == "lease" && j.Attempts == 1 {
				// This attempt stalls past its lease; another node claims the job and runs it.
				c.Add(time.Hour)
				if n, err := r2.RunDue(ctx); err != nil || n != 1 {
					return fmt.Errorf("the other node ran %d jobs: %v", n, err)
				}
			}
			return st.InTx(ctx, func(tx *store.Tx) error {
				if err := jobs.Complete(ctx, tx); err != nil {
					return err
				}
				if err := tx.PutSetting(ctx, "test."+key, j.Attempts, c.Now()); err != nil {
					return err
				}
				if key == "rollback" && failOnce {
					failOnce = false
					return errors.New("the work failed after Complete")
				}
				return nil
			})
		})
		r2 = jobs.New(st, c.Now, slog.New(slog.DiscardHandler))
		r2.Handle("work", func(ctx context.Context, j model.Job) error {
			return st.InTx(ctx, func(tx *store.Tx) error {
				if err := jobs.Complete(ctx, tx); err != nil {
					return err
				}
				return tx.PutSetting(ctx, "test.lease", 100+j.Attempts, c.Now())
			})
		})
		setting := func(key string) (int, bool) {
			var v int
			found, err := st.Setting(ctx, "test."+key, &v)
			if err != nil {
				t.Fatal(err)
			}
			return v, found
		}

		schedule(t, st, r, "work", "work:ok", t0, "ok", 2)
		runDue(t, r)
		if j, _ := st.JobByKey(ctx, "work:ok"); j.State != model.JobDone || j.Attempts != 1 {
			t.Fatalf("a job completed in its transaction: %+v", j)
		}
		if v, found := setting("ok"); !found || v != 1 {
			t.Fatalf("its work: %d %v", v, found)
		}

		schedule(t, st, r, "work", "work:rollback", c.Now(), "rollback", 2)
		runDue(t, r)
		j, _ := st.JobByKey(ctx, "work:rollback")
		if j.State != model.JobScheduled || j.Attempts != 1 {
			t.Fatalf("a job whose transaction rolled back after Complete must be retried: %+v", j)
		}
		if _, found := setting("rollback"); found {
			t.Fatal("the rolled-back work was kept")
		}
		c.Add(time.Hour)
		runDue(t, r)
		if j, _ := st.JobByKey(ctx, "work:rollback"); j.State != model.JobDone || j.Attempts != 2 {
			t.Fatalf("the retry: %+v", j)
		}

		schedule(t, st, r, "work", "work:lease", c.Now(), "lease", 3)
		runDue(t, r)
		if j, _ := st.JobByKey(ctx, "work:lease"); j.State != model.JobDone || j.Attempts != 2 {
			t.Fatalf("the job taken over after its lease: %+v", j)
		}
		if v, _ := setting("lease"); v != 102 {
			t.Fatalf("the work is the second claim's (102), not the stalled attempt's: %d", v)
		}
	})
}

// A runner that stops releases what its life still holds but never ran (on PostgreSQL a claim
// can commit while the shutdown cancels it, and come back as an error), so no job waits for a
// dead life's lease. The orphan claim is made by hand after Run has started.
func TestStoppedRunnerReleasesClaimsItNeverRan(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		st, r, c := setup(t, dsn)
		r.SetNode("n1")
		started := make(chan struct{})
		var once sync.Once
		r.Handle("probe", func(ctx context.Context, j model.Job) error { once.Do(func() { close(started) }); return nil })
		r.Handle("later", func(ctx context.Context, j model.Job) error { return nil })
		schedule(t, st, r, "probe", "probe", t0, nil, 3)
		schedule(t, st, r, "later", "orphan", t0.Add(time.Hour), nil, 3)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.Run(ctx); close(done) }()
		select {
		case <-started: // Run has recovered and runs jobs
		case <-time.After(10 * time.Second):
			t.Fatal("the runner ran nothing")
		}
		if err := st.InTx(context.Background(), func(tx *store.Tx) error {
			js, err := tx.ClaimDueJobsAs(context.Background(), r.Life, c.Now().Add(2*time.Hour), r.Lease, 1)
			if err == nil && len(js) != 1 {
				err = fmt.Errorf("claimed %d jobs", len(js))
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		cancel()
		<-done
		j, err := st.JobByKey(context.Background(), "orphan")
		if err != nil {
			t.Fatal(err)
		}
		if j.State != model.JobScheduled {
			t.Errorf("after the runner stopped, the claim it never ran is %s, want %s", j.State, model.JobScheduled)
		}
	})
}
