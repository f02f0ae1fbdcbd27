package sqlstore

import (
	"context"
	"errors"

	"github.com/cofferhq/coffer/internal/catalog"
)

// createOnce runs insert unless a row with idempotency key already exists,
// in which case (or when a concurrent insert with the key wins the race) it
// returns that row with created=false. byKey must return ErrNotFound for an
// unknown key. An empty key always inserts.
func createOnce[T any](ctx context.Context, s *Store, key string, byKey func(context.Context, string) (T, error), insert func() (T, error)) (T, bool, error) {
	if key != "" {
		got, err := byKey(ctx, key)
		if err == nil {
			return got, false, nil
		}
		if !errors.Is(err, catalog.ErrNotFound) {
			var zero T
			return zero, false, err
		}
	}
	created, err := insert()
	if err != nil && key != "" && errors.Is(err, catalog.ErrConflict) {
		if got, gerr := byKey(ctx, key); gerr == nil {
			return got, false, nil
		}
	}
	return created, err == nil, err
}
