package cli

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/cofferhq/coffer/internal/archiver"
	"github.com/cofferhq/coffer/internal/memlimit"
	"github.com/cofferhq/coffer/internal/repo"
)

type backupFlags struct {
	excludes []string
	tags     []string
	host     string
	parent   string
	full     bool
	compress string
	oneFS    bool
}

func backupCommand(f *repoFlags) *cobra.Command {
	bf := &backupFlags{}
	cmd := &cobra.Command{
		Use:   "backup PATH...",
		Short: "Back up files and directories into a new snapshot",
		Long: `Back up files and directories into a new snapshot.

Unchanged files (same size, mtime, ctime and inode as in the parent snapshot) are not
read again. The parent is the newest snapshot of the same paths from the same host,
unless --parent names one or --full asks to read everything.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runBackup(cmd, f, bf, args)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&bf.excludes, "exclude", nil, "exclude paths matching this glob (repeatable; a pattern without / matches base names)")
	fl.StringArrayVar(&bf.tags, "tag", nil, "tag the snapshot (repeatable)")
	fl.StringVar(&bf.host, "host", "", "hostname to record (default: this host)")
	fl.StringVar(&bf.parent, "parent", "", "parent snapshot for change detection")
	fl.BoolVar(&bf.full, "full", false, "read every file, ignoring the parent snapshot")
	fl.BoolVarP(&bf.oneFS, "one-file-system", "x", false, "do not descend into other file systems mounted below the paths")
	fl.StringVar(&bf.compress, "compression", "auto", "zstd effort for new data: auto, fastest, default, max or off")
	return cmd
}

func runBackup(cmd *cobra.Command, f *repoFlags, bf *backupFlags, args []string) error {
	ctx := cmd.Context()
	p := newPrinter(cmd.OutOrStdout(), cmd.ErrOrStderr(), f.json)
	for _, a := range args {
		if _, err := os.Lstat(a); err != nil {
			return usageErr(fmt.Errorf("backup path: %w", err))
		}
	}
	compression, err := repo.ParseCompression(bf.compress)
	if err != nil {
		return usageErr(err)
	}
	r, err := f.open(ctx)
	if err != nil {
		return err
	}
	defer r.Backend().Close()
	r.SetOptions(repo.Options{Compression: compression})
	memlimit.ForBackup(r.IndexedBlobs(), repo.CompressorHeapBytes())

	host := bf.host
	if host == "" {
		host, _ = os.Hostname()
	}
	var abs []string
	for _, a := range args {
		x, _ := filepath.Abs(a)
		abs = append(abs, x)
	}
	parentID, parent, err := chooseParent(cmd, r, bf, host, abs)
	if err != nil {
		return err
	}
	if parent != nil && !f.json {
		p.message(nil, "using parent snapshot %s", parentID.Short())
	}
	username := ""
	if u, err := user.Current(); err == nil {
		username = u.Username
	}
	arch, err := archiver.New(r, archiver.Options{
		Excludes:      bf.excludes,
		OneFileSystem: bf.oneFS,
		OnError: func(path string, err error) error {
			p.warn(path, err)
			return nil
		},
		Warn:     func(path string, err error) { p.warn(path, err) },
		Progress: func(pr archiver.Progress) { p.status(backupStatus(pr), backupLine(pr)) },
		Hostname: host,
		Username: username,
		Tags:     bf.tags,
		Source:   "files",
		Kind:     "files",
	})
	if err != nil {
		return usageErr(err)
	}
	res, err := arch.Backup(ctx, abs, parent, parentID)
	if err != nil {
		return fmt.Errorf("backup failed, no snapshot saved: %w", err)
	}
	s := res.Snapshot.Summary
	p.message(map[string]any{
		"messageType": "summary", "snapshotId": res.ID.String(), "filesNew": s.FilesNew,
		"filesChanged": s.FilesChanged, "filesUnchanged": s.FilesUnchanged, "dirs": s.DirsTotal,
		"bytesRead": s.BytesRead, "bytesTotal": s.BytesTotal, "bytesAdded": s.BytesAdded,
		"bytesStored": s.BytesStored, "durationSeconds": s.End.Sub(s.Start).Seconds(), "errors": res.Errors,
	}, "snapshot %s saved\n  files: %d new, %d changed, %d unchanged; %d dirs\n  read %s of %s, added %s (%s stored) in %s",
		res.ID.Short(), s.FilesNew, s.FilesChanged, s.FilesUnchanged, s.DirsTotal,
		formatBytes(s.BytesRead), formatBytes(s.BytesTotal), formatBytes(s.BytesAdded),
		formatBytes(s.BytesStored), formatDuration(s.End.Sub(s.Start)))
	if res.Errors > 0 {
		return &ExitError{Code: ExitIncomplete, Err: fmt.Errorf("snapshot %s is incomplete: %d entries could not be read", res.ID.Short(), res.Errors)}
	}
	return nil
}

func chooseParent(cmd *cobra.Command, r *repo.Repository, bf *backupFlags, host string, paths []string) (*repo.ID, *repo.Snapshot, error) {
	ctx := cmd.Context()
	if bf.full {
		return nil, nil, nil
	}
	if bf.parent != "" {
		id, sn, err := r.FindSnapshot(ctx, bf.parent)
		if err != nil {
			return nil, nil, fmt.Errorf("parent snapshot: %w", err)
		}
		return &id, sn, nil
	}
	list, err := r.ListSnapshots(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list snapshots: %w", err)
	}
	want := slices.Sorted(slices.Values(paths))
	for i := len(list) - 1; i >= 0; i-- {
		sn := list[i].Snapshot
		if sn.Hostname == host && slices.Equal(slices.Sorted(slices.Values(sn.Paths)), want) {
			id := list[i].ID
			return &id, sn, nil
		}
	}
	return nil, nil, nil
}

func backupStatus(pr archiver.Progress) map[string]any {
	m := map[string]any{
		"messageType": "status", "phase": pr.Phase, "secondsElapsed": pr.Elapsed.Seconds(),
		"filesDone": pr.FilesDone, "bytesDone": pr.BytesDone, "bytesRead": pr.BytesRead,
		"bytesStored": pr.BytesStored, "bytesPerSecond": pr.Rate, "errors": pr.Errors,
	}
	if pr.ScanDone {
		m["totalFiles"], m["totalBytes"] = pr.FilesTotal, pr.BytesTotal
		if pr.BytesTotal > 0 {
			m["percentDone"] = float64(pr.BytesDone) / float64(pr.BytesTotal)
		}
		if pr.ETA > 0 {
			m["secondsRemaining"] = pr.ETA.Seconds()
		}
	}
	return m
}

func backupLine(pr archiver.Progress) string {
	line := fmt.Sprintf("[%s] %d files, %s", formatDuration(pr.Elapsed), pr.FilesDone, formatBytes(pr.BytesDone))
	if pr.ScanDone && pr.BytesTotal > 0 {
		line += fmt.Sprintf(" / %s (%.1f%%)", formatBytes(pr.BytesTotal), 100*float64(pr.BytesDone)/float64(pr.BytesTotal))
	}
	line += fmt.Sprintf(", %s/s", formatBytes(uint64(pr.Rate)))
	if pr.ETA > 0 {
		line += ", ETA " + formatDuration(pr.ETA)
	}
	return line
}
