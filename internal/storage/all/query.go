package all

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// query hands out a URL's query parameters and rejects any it was not
// asked for, so a typo fails loudly instead of being ignored.
type query struct {
	scheme string
	values url.Values
	known  []string
}

func newQuery(u *url.URL) *query { return &query{scheme: u.Scheme, values: u.Query()} }

func (q *query) str(name string) string {
	q.known = append(q.known, name)
	return q.values.Get(name)
}

func (q *query) int(name string) (int64, error) {
	s := q.str(name)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s URL option %s=%q: not an integer", q.scheme, name, s)
	}
	return n, nil
}

func (q *query) bool(name string) (bool, error) {
	s := q.str(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%s URL option %s=%q: want true or false", q.scheme, name, s)
	}
	return b, nil
}

// unknown reports the first parameter no str/int/bool call asked for.
func (q *query) unknown() error {
	for name := range q.values {
		if !slices.Contains(q.known, name) {
			known := slices.Clone(q.known)
			slices.Sort(known)
			return fmt.Errorf("unknown %s URL option %q: want one of %s", q.scheme, name, strings.Join(known, ", "))
		}
	}
	return nil
}
