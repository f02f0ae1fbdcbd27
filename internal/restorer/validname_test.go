package restorer

import (
	"errors"
	"testing"
)

func TestValidNameRefusesEscapes(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", ".", "..", "a/b", "/abs", "x\x00y"} {
		if err := validName([]byte(bad)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("validName(%q) = %v, want ErrCorrupt", bad, err)
		}
	}
	for _, good := range []string{"a", "...", ".hidden", "caf\xe9", "with space"} {
		if err := validName([]byte(good)); err != nil {
			t.Errorf("validName(%q) = %v, want nil", good, err)
		}
	}
}
