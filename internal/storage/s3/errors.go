package s3

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cofferhq/coffer/internal/storage"
)

// ErrLocked is wrapped by errors from Save and Remove on an object that S3
// Object Lock still retains (or holds legally). Such errors are permanent.
var ErrLocked = errors.New("object is locked by S3 Object Lock")

// retryMaxBackoff caps the SDK's own backoff; the retry wrapper above the
// driver handles longer outages.
const retryMaxBackoff = 2 * time.Second

// transientCodes are S3 error codes that a retry can fix even though some of
// them arrive with a 4xx status.
var transientCodes = map[string]bool{
	"RequestTimeout":            true,
	"SlowDown":                  true,
	"OperationAborted":          true,
	"BadDigest":                 true,
	"XAmzContentSHA256Mismatch": true,
	"IncompleteBody":            true,
	"RequestTimeTooSkewed":      true,
}

// classify marks err as storage.NotExist or storage.Permanent where the S3
// response says retrying cannot help; throttling, 5xx and network errors
// stay unclassified (transient).
func classify(name string, err error) error {
	if err == nil || storage.IsPermanent(err) {
		return err
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch code := apiErr.ErrorCode(); {
		case code == "NoSuchKey":
			return storage.NotExist(name, err)
		case code == "NoSuchBucket":
			return storage.Permanent(name, fmt.Errorf("bucket does not exist: %w", err))
		case transientCodes[code]:
			return err
		}
	}
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		switch status := respErr.HTTPStatusCode(); {
		case status == http.StatusNotFound:
			return storage.NotExist(name, err)
		case status == http.StatusRequestTimeout, status == http.StatusConflict,
			status == http.StatusTooManyRequests:
			return err
		case status >= 400 && status < 500:
			return storage.Permanent(name, err)
		}
	}
	return err
}

func isNotFound(err error) bool {
	var respErr *smithyhttp.ResponseError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusNotFound
}

func isInvalidRange(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "InvalidRange" {
		return true
	}
	var respErr *smithyhttp.ResponseError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusRequestedRangeNotSatisfiable
}

func isAccessDenied(err error) bool {
	var respErr *smithyhttp.ResponseError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusForbidden
}
