// Command apilatency fills a controller's PostgreSQL catalog with N
// catalogued (completed) backups for scripts/api-latency.sh. It writes
// through the catalog store, as a repository import would, so no agent
// needs to run.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/cofferhq/coffer/internal/catalog"
	"github.com/cofferhq/coffer/internal/catalog/postgres"
)

func main() {
	dsn := flag.String("dsn", "", "catalog DSN (postgres://...)")
	n := flag.Int("n", 10000, "backups to create")
	sources := flag.Int("sources", 10, "sources the backups are spread over")
	flag.Parse()
	ctx := context.Background()
	st, err := postgres.Open(ctx, *dsn)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	start := time.Now().Add(-time.Duration(*n) * time.Hour).UTC()
	types := []string{catalog.BackupFull, catalog.BackupIncremental, catalog.BackupIncremental, catalog.BackupDifferential}
	for i := range *n {
		created := start.Add(time.Duration(i) * time.Hour)
		src := i % *sources
		status := catalog.BackupCompleted
		if i%50 == 0 {
			status = catalog.BackupFailed
		}
		_, _, err := st.ImportBackup(ctx, catalog.Backup{
			ID:          fmt.Sprintf("00000000-0000-4000-8000-%012d", i),
			SourceID:    fmt.Sprintf("src-%d", src),
			SourceName:  fmt.Sprintf("source-%d", src),
			SourceType:  catalog.SourceFiles,
			Type:        types[i%len(types)],
			Status:      status,
			AgentID:     "agent-1",
			SnapshotID:  fmt.Sprintf("%064x", i),
			SizeBytes:   int64(1<<30 + i),
			StoredBytes: int64(1<<20 + i),
			EntryCount:  int64(1000 + i),
			Compression: true,
			Encryption:  true,
			StartedAt:   created,
			CompletedAt: created.Add(3 * time.Minute),
			CreatedAt:   created,
			Metadata:    map[string]any{"tool": "coffer-files", "paths": []any{"/srv/data"}},
		})
		if err != nil {
			log.Fatalf("backup %d: %v", i, err)
		}
	}
	fmt.Printf("catalogued %d backups over %d sources\n", *n, *sources)
}
