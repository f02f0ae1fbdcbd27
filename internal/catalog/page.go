package catalog

// DefaultLimit and MaxLimit bound list pages.
const (
	DefaultLimit = 20
	MaxLimit     = 500
)

// Page selects one page of a list: 1-based page number and page size.
// Zero values mean page 1 and DefaultLimit; limits above MaxLimit are capped.
type Page struct {
	Page  int
	Limit int
}

// Normalize returns p with defaults applied and limits capped.
func (p Page) Normalize() Page {
	if p.Page < 1 {
		p.Page = 1
	}
	if p.Limit < 1 {
		p.Limit = DefaultLimit
	}
	if p.Limit > MaxLimit {
		p.Limit = MaxLimit
	}
	return p
}

// Offset is the number of rows before the page.
func (p Page) Offset() int {
	n := p.Normalize()
	return (n.Page - 1) * n.Limit
}

// All collects every row of a paged list, for checks that must see them all
// (a first page of MaxLimit rows silently misses the rest): list is called
// for pages 1, 2, ... until total rows are in hand or a page comes back empty.
func All[T any](list func(Page) ([]T, int, error)) ([]T, error) {
	var out []T
	for n := 1; ; n++ {
		rows, total, err := list(Page{Page: n, Limit: MaxLimit})
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		if len(rows) == 0 || len(out) >= total {
			return out, nil
		}
	}
}
