package sftp

import (
	"errors"
	"io/fs"

	"github.com/pkg/sftp"

	"github.com/cofferhq/coffer/internal/storage"
)

// SFTP status codes (draft-ietf-secsh-filexfer-02) that retrying cannot fix.
const (
	fxBadMessage     = 5
	fxOpUnsupported  = 8
	fxInvalidHandle  = 9
	fxNoSuchPath     = 10
	fxWriteProtect   = 12
	fxNoMedia        = 13
	fxNotADirectory  = 19
	fxInvalidFilname = 20
)

// classify marks missing files as NotExist and refusals (permission,
// read-only or unsupported operation) as Permanent. Generic failures and
// lost connections stay transient.
func classify(name string, err error) error {
	if err == nil || storage.IsPermanent(err) {
		return err
	}
	if errors.Is(err, fs.ErrNotExist) {
		return storage.NotExist(name, err)
	}
	if errors.Is(err, fs.ErrPermission) {
		return storage.Permanent(name, err)
	}
	var st *sftp.StatusError
	if errors.As(err, &st) {
		switch st.Code {
		case fxNoSuchPath:
			return storage.NotExist(name, err)
		case fxBadMessage, fxOpUnsupported, fxInvalidHandle, fxWriteProtect, fxNoMedia,
			fxNotADirectory, fxInvalidFilname:
			return storage.Permanent(name, err)
		}
	}
	return err
}
