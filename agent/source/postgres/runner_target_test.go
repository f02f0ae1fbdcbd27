package postgres

import (
	"testing"
	"time"

	"github.com/cofferhq/coffer/agent/runner"
)

// TestRecoveryTargetFromJob: RestoreSpec.recovery_target and point_in_time
// map to where PostgreSQL stops replaying; contradictions are errors.
func TestRecoveryTargetFromJob(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 3, 14, 0, 0, time.UTC)
	for _, tc := range []struct {
		target string
		pit    *time.Time
		want   RecoveryTarget
		fails  bool
	}{
		{"", nil, RecoveryTarget{Kind: TargetEnd}, false},
		{"end", nil, RecoveryTarget{Kind: TargetEnd}, false},
		{"immediate", nil, RecoveryTarget{Kind: TargetImmediate}, false},
		{"", &at, RecoveryTarget{Kind: TargetTime, Time: at}, false},
		{"time", &at, RecoveryTarget{Kind: TargetTime, Time: at}, false},
		{"time", nil, RecoveryTarget{}, true},
		{"immediate", &at, RecoveryTarget{}, true},
		{"latest", nil, RecoveryTarget{}, true},
	} {
		got, err := recoveryTarget(&runner.RestoreJob{RecoveryTarget: tc.target, PointInTime: tc.pit})
		if (err != nil) != tc.fails || got != tc.want {
			t.Errorf("target %q, time %v: %+v, %v; want %+v (error: %v)", tc.target, tc.pit, got, err, tc.want, tc.fails)
		}
	}
}
