package postgres

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// What pg_basebackup leaves out of a base backup (basebackup.c), because
// the server recreates it or it is meaningless on another server.
var (
	// excludedDirContents keep the directory but none of its contents.
	excludedDirContents = map[string]bool{
		"pg_wal": true, "pg_stat_tmp": true, "pg_replslot": true, "pg_dynshmem": true,
		"pg_notify": true, "pg_serial": true, "pg_snapshots": true, "pg_subtrans": true,
	}
	// excludedTopFiles are left out at the top of the data directory.
	excludedTopFiles = map[string]bool{
		"postmaster.pid": true, "postmaster.opts": true, "postgresql.auto.conf.tmp": true,
		"current_logfiles.tmp": true, "backup_label": true, "tablespace_map": true,
		"backup_manifest": true, "recovery.signal": true, "standby.signal": true,
	}
	// relFileRE matches relation files: relfilenode, optional fork, segment.
	relFileRE = regexp.MustCompile(`^[0-9]+(_(fsm|vm|init))?(\.[0-9]+)?$`)
	// tempRelRE matches temporary relations (t<backend>_<relfilenode>).
	tempRelRE = regexp.MustCompile(`^t[0-9]+_[0-9]+(_(fsm|vm|init))?(\.[0-9]+)?$`)
)

// pgdataRules decides what a physical backup leaves out and which files
// are relation files (chunked on page boundaries).
type pgdataRules struct {
	dataDir     string
	tablespaces []string // tablespace locations

	mu       sync.Mutex
	unlogged map[string]map[string]bool // directory -> relfilenodes with an _init fork
}

func newPGDataRules(dataDir string, tablespaces []string) *pgdataRules {
	return &pgdataRules{dataDir: dataDir, tablespaces: tablespaces, unlogged: map[string]map[string]bool{}}
}

// exclude reports whether a path below the data directory or a tablespace
// stays out of the backup.
func (r *pgdataRules) exclude(path string) bool {
	dir, name := filepath.Split(path)
	dir = filepath.Clean(dir)
	if strings.HasPrefix(name, "pgsql_tmp") || name == "pg_internal.init" {
		return true
	}
	if dir == r.dataDir && excludedTopFiles[name] {
		return true
	}
	if filepath.Dir(dir) == r.dataDir && excludedDirContents[filepath.Base(dir)] {
		return true
	}
	if r.inRelationDir(dir) {
		if tempRelRE.MatchString(name) {
			return true
		}
		// Unlogged relations: only the init fork is kept; the server
		// resets the relation from it at startup.
		if relFileRE.MatchString(name) && !strings.Contains(name, "_init") {
			node := name
			if i := strings.IndexAny(node, "_."); i >= 0 {
				node = node[:i]
			}
			return r.unloggedIn(dir)[node]
		}
	}
	return false
}

// inRelationDir: base/<db>, global, or <tablespace>/<version dir>/<db>.
func (r *pgdataRules) inRelationDir(dir string) bool {
	if dir == filepath.Join(r.dataDir, "global") || filepath.Dir(dir) == filepath.Join(r.dataDir, "base") {
		return true
	}
	for _, ts := range r.tablespaces {
		if filepath.Dir(filepath.Dir(dir)) == ts {
			return true
		}
	}
	return false
}

func (r *pgdataRules) unloggedIn(dir string) map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.unlogged[dir]; ok {
		return m
	}
	m := map[string]bool{}
	if names, err := filepath.Glob(filepath.Join(dir, "*_init")); err == nil {
		for _, n := range names {
			m[strings.TrimSuffix(filepath.Base(n), "_init")] = true
		}
	}
	r.unlogged[dir] = m
	return m
}

// chunkSize is the archiver's FixedChunkSize: relation files are cut on
// page boundaries, everything else by content.
func (r *pgdataRules) chunkSize(size int) func(path string) int {
	return func(path string) int {
		dir, name := filepath.Split(path)
		if relFileRE.MatchString(name) && r.inRelationDir(filepath.Clean(dir)) {
			return size
		}
		return 0
	}
}

// onError keeps going when a file vanished while the backup ran (a
// dropped table, a removed temporary file): WAL replay recreates the state
// as of the end of the backup. Anything else fails the backup.
func onError(_ string, err error) error {
	if os.IsNotExist(err) {
		return nil
	}
	return err
}
