package azure

import (
	"errors"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/cofferhq/coffer/internal/storage"
)

// classify marks missing blobs as storage.NotExist and errors that retrying
// cannot fix (authentication, authorization, immutability, missing
// container, bad requests) as storage.Permanent. Throttling, 5xx and network
// errors stay transient.
func classify(name string, err error) error {
	if err == nil || storage.IsPermanent(err) {
		return err
	}
	if bloberror.HasCode(err, bloberror.BlobNotFound) {
		return storage.NotExist(name, err)
	}
	if bloberror.HasCode(err, bloberror.ContainerBeingDeleted, bloberror.ServerBusy,
		bloberror.OperationTimedOut, bloberror.InternalError) {
		return err
	}
	var respErr *azcore.ResponseError
	if errors.As(err, &respErr) {
		switch status := respErr.StatusCode; {
		case status == http.StatusNotFound && respErr.ErrorCode == "":
			// HEAD responses carry no error body.
			return storage.NotExist(name, err)
		case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests:
			return err
		case status >= 400 && status < 500:
			return storage.Permanent(name, err)
		}
	}
	return err
}

func isInvalidRange(err error) bool {
	var respErr *azcore.ResponseError
	return bloberror.HasCode(err, bloberror.InvalidRange) ||
		errors.As(err, &respErr) && respErr.StatusCode == http.StatusRequestedRangeNotSatisfiable
}
