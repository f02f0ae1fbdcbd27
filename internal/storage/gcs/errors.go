package gcs

import (
	"errors"
	"net/http"

	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"

	cstorage "github.com/cofferhq/coffer/internal/storage"
)

// classify marks missing objects as NotExist and errors that retrying cannot
// fix (missing bucket, 4xx such as auth, permission and retention refusals)
// as Permanent; 408, 429, 5xx and network errors stay transient.
func classify(name string, err error) error {
	if err == nil || cstorage.IsPermanent(err) {
		return err
	}
	switch {
	case errors.Is(err, storage.ErrObjectNotExist):
		return cstorage.NotExist(name, err)
	case errors.Is(err, storage.ErrBucketNotExist):
		return cstorage.Permanent(name, err)
	}
	switch status := httpStatus(err); {
	case status == http.StatusNotFound:
		return cstorage.NotExist(name, err)
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
		return err
	case status >= 400 && status < 500:
		return cstorage.Permanent(name, err)
	}
	return err
}

// httpStatus digs the HTTP status out of the client's error types; 0 if none.
func httpStatus(err error) int {
	var gErr *googleapi.Error
	if errors.As(err, &gErr) {
		return gErr.Code
	}
	var aErr *apierror.APIError
	if errors.As(err, &aErr) {
		return aErr.HTTPCode()
	}
	return 0
}
