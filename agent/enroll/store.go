package enroll

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNotEnrolled means the data directory holds no identity yet.
var ErrNotEnrolled = errors.New("agent is not enrolled")

const identityFile = "identity.json"

// Store keeps the identity in a data directory.
type Store struct {
	Dir string
}

type identityRecord struct {
	AgentID    string `json:"agentId"`
	Generation int    `json:"generation"`
	Controller string `json:"controller,omitempty"`
}

func (s Store) file(base string, gen int, ext string) string {
	return filepath.Join(s.Dir, base+"."+strconv.Itoa(gen)+"."+ext)
}

func (s Store) keyFile(gen int) string  { return s.file("agent", gen, "key") }
func (s Store) certFile(gen int) string { return s.file("agent", gen, "crt") }
func (s Store) caFile(gen int) string   { return s.file("ca", gen, "crt") }

// Load reads the identity; ErrNotEnrolled when there is none. now is used
// only to verify the chain (an expired certificate still loads).
func (s Store) Load(now time.Time) (*Identity, error) {
	raw, err := os.ReadFile(filepath.Join(s.Dir, identityFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotEnrolled
	}
	if err != nil {
		return nil, fmt.Errorf("read identity: %w", err)
	}
	var rec identityRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("identity %s: %w", filepath.Join(s.Dir, identityFile), err)
	}
	keyPEM, err := os.ReadFile(s.keyFile(rec.Generation))
	if err != nil {
		return nil, fmt.Errorf("read agent key: %w", err)
	}
	certPEM, err := os.ReadFile(s.certFile(rec.Generation))
	if err != nil {
		return nil, fmt.Errorf("read agent certificate: %w", err)
	}
	caPEM, err := os.ReadFile(s.caFile(rec.Generation))
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	id, err := newIdentity(rec.AgentID, keyPEM, certPEM, caPEM, now)
	if err != nil {
		return nil, fmt.Errorf("identity in %s: %w", s.Dir, err)
	}
	return id, nil
}

// save writes a new generation of key, certificate and CA, switches
// identity.json to it and removes older generations.
func (s Store) save(agentID, controller string, keyPEM, certPEM, caPEM []byte) error {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if controller == "" {
		controller = s.record().Controller
	}
	gen := s.nextGeneration()
	if err := writeFileAtomic(s.keyFile(gen), keyPEM, 0o600); err != nil {
		return err
	}
	if err := writeFileAtomic(s.certFile(gen), certPEM, 0o644); err != nil {
		return err
	}
	if err := writeFileAtomic(s.caFile(gen), caPEM, 0o644); err != nil {
		return err
	}
	rec, err := json.MarshalIndent(identityRecord{AgentID: agentID, Generation: gen, Controller: controller}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode identity: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(s.Dir, identityFile), append(rec, '\n'), 0o600); err != nil {
		return err
	}
	s.removeOlder(gen)
	return nil
}

// record returns the current identity record, zero when unreadable.
func (s Store) record() identityRecord {
	var rec identityRecord
	if raw, err := os.ReadFile(filepath.Join(s.Dir, identityFile)); err == nil {
		_ = json.Unmarshal(raw, &rec)
	}
	return rec
}

// nextGeneration is one more than the highest generation on disk.
func (s Store) nextGeneration() int {
	next := 1
	for _, g := range s.generations() {
		if g >= next {
			next = g + 1
		}
	}
	return next
}

func (s Store) generations() []int {
	entries, _ := os.ReadDir(s.Dir)
	var out []int
	for _, e := range entries {
		parts := strings.Split(e.Name(), ".")
		if len(parts) != 3 || (parts[0] != "agent" && parts[0] != "ca") {
			continue
		}
		if g, err := strconv.Atoi(parts[1]); err == nil {
			out = append(out, g)
		}
	}
	return out
}

func (s Store) removeOlder(gen int) {
	for _, g := range s.generations() {
		if g < gen {
			os.Remove(s.keyFile(g))
			os.Remove(s.certFile(g))
			os.Remove(s.caFile(g))
		}
	}
}

// writeFileAtomic writes data to a temporary file, syncs it and renames it
// over path, so readers see the old or the new content, never a mix.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	err = f.Chmod(mode)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
