package runner

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"

	cofferv1 "github.com/cofferhq/coffer/gen/coffer/v1"
)

// outbox keeps unacknowledged results as files, one per attempt, so they
// are resent after an agent restart.
type outbox struct {
	dir string
}

const resultExt = ".result"

func (o outbox) path(k key) string {
	return filepath.Join(o.dir, fmt.Sprintf("%s.%d.%d%s", hex.EncodeToString([]byte(k.jobID)), k.attempt, k.epoch, resultExt))
}

func (o outbox) save(res *cofferv1.JobResult, log *slog.Logger) {
	if o.dir == "" {
		return
	}
	err := o.write(res)
	if err != nil {
		// The result is still held in memory and resent while this process
		// lives; only a restart before the ack would lose it.
		log.Error("cannot persist job result", slog.String("job", res.GetJobId()), slog.Any("error", err))
	}
}

func (o outbox) write(res *cofferv1.JobResult) error {
	raw, err := proto.Marshal(res)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return fmt.Errorf("create result dir: %w", err)
	}
	p := o.path(resultKey(res))
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write result: %w", err)
	}
	_, err = f.Write(raw)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write result: %w", err)
	}
	return nil
}

func (o outbox) remove(k key, log *slog.Logger) {
	if o.dir == "" {
		return
	}
	if err := os.Remove(o.path(k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn("cannot remove acknowledged job result", slog.String("job", k.jobID), slog.Any("error", err))
	}
}

// load reads every stored result; unreadable files are logged and removed
// (a result the controller never gets ends as a lost attempt, which the
// controller retries).
func (o outbox) load(log *slog.Logger) ([]*cofferv1.JobResult, error) {
	if o.dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(o.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read result dir: %w", err)
	}
	var out []*cofferv1.JobResult
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, resultExt) {
			continue
		}
		p := filepath.Join(o.dir, name)
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read result: %w", err)
		}
		res, err := decodeResult(raw)
		if err != nil {
			log.Error("discarding unreadable job result", slog.String("file", p), slog.Any("error", err))
			os.Remove(p)
			continue
		}
		out = append(out, res)
	}
	return out, nil
}

// decodeResult parses a stored result and checks it names an attempt.
func decodeResult(raw []byte) (*cofferv1.JobResult, error) {
	var res cofferv1.JobResult
	if err := proto.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("decode result: %w", err)
	}
	if res.GetJobId() == "" || res.GetOutcome() == cofferv1.JobOutcome_JOB_OUTCOME_UNSPECIFIED {
		return nil, errors.New("decode result: no job ID or outcome")
	}
	return &res, nil
}
