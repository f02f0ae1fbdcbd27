package repo

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"

	"github.com/cofferhq/coffer/internal/storage"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func randomID() ID {
	var id ID
	rand.Read(id[:])
	return id
}

// readObject reads a whole object.
func readObject(ctx context.Context, be storage.Backend, name string) ([]byte, error) {
	rd, err := be.Open(ctx, name, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	b, err := io.ReadAll(rd)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return b, nil
}

// readRange reads exactly length bytes at offset into buf (grown if
// needed). A short object yields a *CorruptionError.
func readRange(ctx context.Context, be storage.Backend, name string, offset int64, length int, buf []byte) ([]byte, error) {
	rd, err := be.Open(ctx, name, offset, int64(length))
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	if cap(buf) < length {
		buf = make([]byte, length)
	}
	buf = buf[:length]
	n, err := io.ReadFull(rd, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return nil, corrupt(name, nil, "truncated: %d bytes at offset %d, want %d", n, offset, length)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return buf, nil
}

func saveObject(ctx context.Context, be storage.Backend, name string, data []byte) error {
	if err := be.Save(ctx, name, bytes.NewReader(data), int64(len(data))); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	return nil
}

// listIDs lists objects under prefix whose remaining name is a hex ID, and
// reports other names through bad.
func listIDs(ctx context.Context, be storage.Backend, prefix string, bad func(name string)) ([]ID, error) {
	var ids []ID
	err := be.List(ctx, prefix, func(oi storage.ObjectInfo) error {
		id, err := ParseID(strings.TrimPrefix(oi.Name, prefix))
		if err != nil {
			if bad != nil {
				bad(oi.Name)
			}
			return nil
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	return ids, nil
}
