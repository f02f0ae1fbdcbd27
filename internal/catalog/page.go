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
