package postgres

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// WALFetchCommand builds restore_command for a restored cluster: the
// coffer binary running wal-fetch on the repository, each argument quoted
// for the shell PostgreSQL runs it with.
func WALFetchCommand(coffer, stream, repoURL, keyFile string) string {
	args := []string{coffer, "wal-fetch", "--source", stream, "--repo", repoURL}
	if keyFile != "" {
		args = append(args, "--key-file", keyFile)
	}
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return strings.Join(args, " ") + " %f %p"
}

// shellQuote quotes s for sh unless it is plainly safe.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("/._-+=:,@", c)) {
			safe = false
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// confQuote quotes a postgresql.conf string value.
func confQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// recoverySettings are the lines appended to postgresql.auto.conf.
func recoverySettings(o RestoreOptions, plan *Plan) []string {
	lines := []string{"restore_command = " + confQuote(o.RestoreCommand)}
	switch o.Recovery.Kind {
	case TargetImmediate:
		lines = append(lines, "recovery_target = 'immediate'", "recovery_target_action = 'promote'")
	case TargetTime:
		lines = append(lines,
			"recovery_target_time = "+confQuote(o.Recovery.Time.UTC().Format("2006-01-02 15:04:05.999999+00")),
			"recovery_target_action = 'promote'")
	}
	if o.Recovery.Timeline != "" {
		lines = append(lines, "recovery_target_timeline = "+confQuote(o.Recovery.Timeline))
	}
	if o.DisableArchiving {
		lines = append(lines, "archive_mode = 'off'")
	}
	return lines
}

// overriddenKeys are settings an earlier restore may have left in the
// backed-up postgresql.auto.conf; they are commented out so only the new
// target applies.
func overridden(key string, disableArchiving bool) bool {
	return key == "restore_command" || strings.HasPrefix(key, "recovery_target") ||
		(disableArchiving && key == "archive_mode")
}

// writeRecovery writes backup_label, tablespace_map, recovery.signal and
// the recovery settings into the restored data directory.
func writeRecovery(o RestoreOptions, plan *Plan) error {
	m := plan.Backup.Meta
	dir := o.Target
	files := map[string]string{"backup_label": m.BackupLabel, "recovery.signal": ""}
	if len(m.Tablespaces) > 0 {
		var b strings.Builder
		for _, ts := range m.Tablespaces {
			fmt.Fprintf(&b, "%d %s\n", ts.OID, tablespaceDest(o, ts))
		}
		files["tablespace_map"] = b.String()
	}
	for name, content := range files {
		if err := writeOwned(filepath.Join(dir, name), content, dir); err != nil {
			return err
		}
	}
	for _, d := range []string{"pg_wal", filepath.Join("pg_wal", "archive_status")} {
		p := filepath.Join(dir, d)
		if err := os.MkdirAll(p, 0o700); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		lchownLike(p, dir)
	}
	return appendAutoConf(dir, o, plan)
}

func appendAutoConf(dir string, o RestoreOptions, plan *Plan) error {
	path := filepath.Join(dir, "postgresql.auto.conf")
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read postgresql.auto.conf: %w", err)
	}
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(string(old)))
	for sc.Scan() {
		line := sc.Text()
		key, _, _ := strings.Cut(strings.TrimSpace(line), "=")
		if overridden(strings.TrimSpace(key), o.DisableArchiving) && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			line = "# replaced by coffer restore: " + line
		}
		b.WriteString(line + "\n")
	}
	fmt.Fprintf(&b, "# coffer restore of backup %s (%s) at %s\n", plan.Backup.ID, o.Recovery, o.Now().UTC().Format(time.RFC3339))
	for _, l := range recoverySettings(o, plan) {
		b.WriteString(l + "\n")
	}
	return writeOwned(path, b.String(), dir)
}

// writeOwned writes a file with mode 0600 owned like ref.
func writeOwned(path, content, ref string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	lchownLike(path, ref)
	return nil
}

// ownerOf returns the owner of path.
func ownerOf(path string) (int, int, bool) {
	fi, err := os.Lstat(path)
	if err != nil {
		return 0, 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}
