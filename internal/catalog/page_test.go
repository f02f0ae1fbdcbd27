package catalog

import "testing"

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
