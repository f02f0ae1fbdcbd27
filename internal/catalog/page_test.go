package catalog

import (
	"errors"
	"testing"
)

func TestPageNormalize(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in         Page
		want       Page
		wantOffset int
	}{
		{Page{}, Page{Page: 1, Limit: DefaultLimit}, 0},
		{Page{Page: 3, Limit: 10}, Page{Page: 3, Limit: 10}, 20},
		{Page{Page: -2, Limit: -5}, Page{Page: 1, Limit: DefaultLimit}, 0},
		{Page{Page: 2, Limit: MaxLimit + 1}, Page{Page: 2, Limit: MaxLimit}, MaxLimit},
	}
	for _, c := range cases {
		if got := c.in.Normalize(); got != c.want {
			t.Errorf("%+v.Normalize() = %+v, want %+v", c.in, got, c.want)
		}
		if got := c.in.Offset(); got != c.wantOffset {
			t.Errorf("%+v.Offset() = %d, want %d", c.in, got, c.wantOffset)
		}
	}
}

func TestAllCollectsEveryPage(t *testing.T) {
	rows := make([]int, 2*MaxLimit+3)
	for i := range rows {
		rows[i] = i
	}
	var calls int
	list := func(p Page) ([]int, int, error) {
		calls++
		p = p.Normalize()
		lo := min(p.Offset(), len(rows))
		return rows[lo:min(lo+p.Limit, len(rows))], len(rows), nil
	}
	got, err := All(list)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) || got[len(got)-1] != len(rows)-1 || calls != 3 {
		t.Fatalf("got %d rows (last %d) in %d calls, want %d rows in 3", len(got), got[len(got)-1], calls, len(rows))
	}

	// A total that overstates what the pages hold (rows deleted meanwhile)
	// ends at the first empty page instead of looping.
	short := func(p Page) ([]int, int, error) { r, _, err := list(p); return r, len(rows) + 10, err }
	if got, err := All(short); err != nil || len(got) != len(rows) {
		t.Fatalf("overstated total: %d rows, %v", len(got), err)
	}

	boom := errors.New("boom")
	if _, err := All(func(Page) ([]int, int, error) { return nil, 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("error not returned: %v", err)
	}
}
