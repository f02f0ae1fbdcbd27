package storage

// SaveError classifies a failed Save with classify, the driver's own
// classification, except that a Save never reports a missing object: a
// not-found there means a lost upload session or a directory removed
// underneath, which a retry fixes, so such an error stays unclassified.
func SaveError(name string, err error, classify func(name string, err error) error) error {
	c := classify(name, err)
	if IsNotExist(c) {
		return err
	}
	return c
}
