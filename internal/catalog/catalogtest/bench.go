package catalogtest

import (
	"database/sql"
	"testing"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
)

// BenchRows is how many backups BenchListBackups catalogues.
const BenchRows = 10_000

// BenchListBackups measures ListBackups over BenchRows backups: the first
// page, a filtered page, a date range and a deep page.
func BenchListBackups(b *testing.B, open Open) {
	s := open(b)
	end := us(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC))
	all := seedBackups(b, s, BenchRows, end)
	ctx := ctxFor(b)
	// Refresh planner statistics after the bulk load, as autovacuum (or a
	// periodic ANALYZE) would in production.
	if raw, ok := s.(interface{ DB() *sql.DB }); ok {
		if _, err := raw.DB().ExecContext(ctx, "ANALYZE"); err != nil {
			b.Fatalf("analyze: %v", err)
		}
	}
	cases := []struct {
		name string
		f    catalog.BackupFilter
	}{
		{"FirstPage", catalog.BackupFilter{Page: catalog.Page{Limit: 20}}},
		{"BySource", catalog.BackupFilter{Source: "beta", Page: catalog.Page{Limit: 20}}},
		{"ByStatusAndDateRange", catalog.BackupFilter{Status: catalog.BackupFailed,
			CreatedFrom: all[BenchRows/4].CreatedAt, CreatedBefore: all[BenchRows/2].CreatedAt, Page: catalog.Page{Limit: 50}}},
		{"DeepPage", catalog.BackupFilter{Page: catalog.Page{Page: 400, Limit: 20}}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				got, total, err := s.ListBackups(ctx, tc.f)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) == 0 || total == 0 {
					b.Fatalf("%s: empty result", tc.name)
				}
			}
		})
	}
}
