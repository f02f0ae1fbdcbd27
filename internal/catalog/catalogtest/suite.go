package catalogtest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

// Open returns a fresh, empty, migrated store for one test; it registers
// its own cleanup with t.
type Open func(t testing.TB) catalog.Store

// Run runs every conformance test against stores from open, in parallel.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s catalog.Store)
	}{
		{"Clock", testClock},
		{"BackupCreateGet", testBackupCreateGet},
		{"BackupIdempotency", testBackupIdempotency},
		{"BackupListFilters", testBackupListFilters},
		{"BackupListPagination", testBackupListPagination},
		{"ClaimJob", testClaimJob},
		{"ClaimJobConcurrent", testClaimJobConcurrent},
		{"LeaseRenewalAndStaleEpoch", testLeaseRenewal},
		{"ExpiredAttemptRetried", testExpiredAttemptRetried},
		{"AttemptsExhausted", testAttemptsExhausted},
		{"ProgressAndStall", testProgressAndStall},
		{"FinishAttempt", testFinishAttempt},
		{"RetryableFailure", testRetryableFailure},
		{"Cancel", testCancel},
		{"RecoveryJobs", testRecoveryJobs},
		{"Verifications", testVerifications},
		{"Schedules", testSchedules},
		{"ScheduleRunsOnce", testScheduleRunsOnce},
		{"Sources", testSources},
		{"WALArchive", testWALArchive},
		{"StorageLocations", testStorageLocations},
		{"Agents", testAgents},
		{"JoinTokenSingleUse", testJoinTokens},
		{"JoinTokenConcurrentUse", testJoinTokenConcurrent},
		{"APITokens", testAPITokens},
		{"LeaderLease", testLeaderLease},
		{"AuditChain", testAuditChain},
		{"AuditConcurrentAppends", testAuditConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// now reads the database clock.
func now(t testing.TB, s catalog.Store) time.Time {
	t.Helper()
	n, err := s.Now(ctxFor(t))
	if err != nil {
		t.Fatalf("Now: %v", err)
	}
	return n
}

// must(f())(t) returns f's value, failing t if f returned an error. (The
// curried form lets a multi-value call be the sole argument.)
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// must2 is must for creates that also report whether they created.
func must2[T any](v T, _ bool, err error) func(testing.TB) T {
	return must(v, err)
}

func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func eq[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

func sameTime(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) || (!got.IsZero() && got.Location() != time.UTC) {
		t.Fatalf("%s = %v, want %v (UTC)", what, got, want)
	}
}

// ms returns a UTC time with microsecond precision, what stores round-trip.
func us(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func deq(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %+v\nwant %+v", what, got, want)
	}
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}
