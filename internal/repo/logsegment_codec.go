package repo

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/cofferhq/coffer/internal/crypto"
	"github.com/zeebo/blake3"
)

// Log segment object layout (docs/FORMAT.md, "Log segments"):
//
//	object         = 0x01 || uint32le(epoch) || salt (32) || uint32le(len(header section)) || header section || frame...
//	header section = nonce || Seal(key, nonce, header JSON, header aad)
//	frame          = uint32le(len(sealed)) || sealed,  sealed = nonce || Seal(key, nonce, flag || body, frame aad)
//	key            = HKDF(data root of epoch, salt, "coffer v1 log segment key")
const (
	logVersion   = 1
	logFrameSize = 1 << 20
	// logMaxSize is PostgreSQL's largest wal_segment_size.
	logMaxSize    = 1 << 30
	logMaxHeader  = 64 << 10
	logPrefixSize = 1 + 4 + 32 + 4
	logSaltSize   = 32
	// logMaxSealedFrame bounds one frame: raw when zstd does not help.
	logMaxSealedFrame = crypto.Overhead + 1 + logFrameSize
	infoLogKey        = "coffer v1 log segment key"
)

func logAEAD(keys *keySet, epoch uint32, salt []byte) (*crypto.AEAD, error) {
	if epoch != 0 {
		return nil, fmt.Errorf("key epoch %d is not supported by this coffer (only epoch 0); upgrade coffer", epoch)
	}
	return crypto.NewAEAD(crypto.Derive(keys.dataRoot[:], salt, infoLogKey)), nil
}

// logHeaderAAD binds the header to the object type, format version, key
// epoch and storage name, so a header cannot be moved to another name.
func logHeaderAAD(epoch uint32, object string) []byte {
	b := append([]byte("coffer log segment header"), logVersion)
	b = binary.LittleEndian.AppendUint32(b, epoch)
	return append(b, object...)
}

// logFrameAAD binds a frame to its position, to whether it is the last
// one (so truncation at a frame boundary is detected) and to the name.
func logFrameAAD(i uint64, final bool, object string) []byte {
	b := binary.LittleEndian.AppendUint64([]byte("coffer log segment frame"), i)
	f := byte(0)
	if final {
		f = 1
	}
	return append(append(b, f), object...)
}

func logFrames(size int64) int {
	if size <= 0 {
		return 1 // an empty file is one empty frame, so "final" exists
	}
	return int((size + logFrameSize - 1) / logFrameSize)
}

// logEncoder seals a log file; nonce returns the next nonce (random in
// real use, fixed only for test vectors).
type logEncoder struct {
	keys  *keySet
	epoch uint32
	salt  []byte
	enc   frameEncoder // nil stores frames raw
	nonce func() []byte
}

// encode returns the stored object for content data; info must carry the
// object name, ContentID, Archived and range; Size and Frames are set here.
func (e *logEncoder) encode(info LogSegmentInfo, data []byte) ([]byte, error) {
	if len(data) > logMaxSize {
		return nil, fmt.Errorf("%s: %d bytes exceeds the %d-byte log file limit", info.Object, len(data), logMaxSize)
	}
	a, err := logAEAD(e.keys, e.epoch, e.salt)
	if err != nil {
		return nil, err
	}
	info.Size = int64(len(data))
	info.Frames = logFrames(info.Size)
	hdr, err := json.Marshal(&info)
	if err != nil {
		return nil, fmt.Errorf("encode log header: %w", err)
	}
	out := make([]byte, 0, logPrefixSize+len(hdr)+crypto.Overhead+len(data)/4+64)
	out = append(out, logVersion)
	out = binary.LittleEndian.AppendUint32(out, e.epoch)
	out = append(out, e.salt...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(hdr)+crypto.Overhead))
	out = a.SealWithNonce(out, e.nonce(), hdr, logHeaderAAD(e.epoch, info.Object))
	var plain []byte
	for i := range info.Frames {
		chunk := data[min(i*logFrameSize, len(data)):min((i+1)*logFrameSize, len(data))]
		plain = compressWith(e.enc, plain[:0], chunk)
		out = binary.LittleEndian.AppendUint32(out, uint32(len(plain)+crypto.Overhead))
		out = a.SealWithNonce(out, e.nonce(), plain, logFrameAAD(uint64(i), i == info.Frames-1, info.Object))
	}
	return out, nil
}

// logDecoder reads a stored log file from a stream: the header first, then
// frames one at a time, so memory stays at one frame whatever the size.
type logDecoder struct {
	rd     io.Reader
	object string
	aead   *crypto.AEAD
	info   LogSegmentInfo
}

// openLogHeader reads and authenticates the prefix and header of object.
// Every failure is a *CorruptionError naming object.
func openLogHeader(keys *keySet, object string, rd io.Reader) (*logDecoder, error) {
	var pre [logPrefixSize]byte
	if _, err := io.ReadFull(rd, pre[:]); err != nil {
		return nil, logReadErr(object, "prefix", err)
	}
	if pre[0] != logVersion {
		return nil, corrupt(object, nil, "log segment format version %d, want %d", pre[0], logVersion)
	}
	epoch := binary.LittleEndian.Uint32(pre[1:5])
	a, err := logAEAD(keys, epoch, pre[5:5+logSaltSize])
	if err != nil {
		return nil, &CorruptionError{Object: object, Err: err}
	}
	n := binary.LittleEndian.Uint32(pre[5+logSaltSize:])
	if n < crypto.Overhead || n > logMaxHeader {
		return nil, corrupt(object, nil, "header length %d outside %d..%d", n, crypto.Overhead, logMaxHeader)
	}
	sealed := make([]byte, n)
	if _, err := io.ReadFull(rd, sealed); err != nil {
		return nil, logReadErr(object, "header", err)
	}
	hdr, err := a.Open(sealed[crypto.NonceSize:crypto.NonceSize], sealed, logHeaderAAD(epoch, object))
	if err != nil {
		return nil, &CorruptionError{Object: object, Err: fmt.Errorf("header: %w", err)}
	}
	d := &logDecoder{rd: rd, object: object, aead: a}
	if err := json.Unmarshal(hdr, &d.info); err != nil {
		return nil, corrupt(object, nil, "header: %v", err)
	}
	if err := d.checkHeader(); err != nil {
		return nil, &CorruptionError{Object: object, Err: err}
	}
	return d, nil
}

func (d *logDecoder) checkHeader() error {
	i := d.info
	switch {
	case i.Object != d.object:
		return fmt.Errorf("header names %q", i.Object)
	case i.Size < 0 || i.Size > logMaxSize:
		return fmt.Errorf("header size %d outside 0..%d", i.Size, logMaxSize)
	case i.Frames != logFrames(i.Size):
		return fmt.Errorf("header says %d frames for %d bytes, want %d", i.Frames, i.Size, logFrames(i.Size))
	}
	return nil
}

// copyTo authenticates and decompresses every frame into w, then checks
// the object ends there and the content hashes to the header's ID.
func (d *logDecoder) copyTo(keys *keySet, w io.Writer) error {
	h := keys.hashers.Get().(*blake3.Hasher)
	defer keys.hashers.Put(h)
	h.Reset()
	sealed := make([]byte, 0, 64<<10)
	var out []byte
	var total int64
	for i := range d.info.Frames {
		var lenBuf [4]byte
		if _, err := io.ReadFull(d.rd, lenBuf[:]); err != nil {
			return logReadErr(d.object, fmt.Sprintf("frame %d", i), err)
		}
		n := binary.LittleEndian.Uint32(lenBuf[:])
		if n < crypto.Overhead+1 || n > logMaxSealedFrame {
			return corrupt(d.object, nil, "frame %d length %d outside %d..%d", i, n, crypto.Overhead+1, logMaxSealedFrame)
		}
		if cap(sealed) < int(n) {
			sealed = make([]byte, n)
		}
		sealed = sealed[:n]
		if _, err := io.ReadFull(d.rd, sealed); err != nil {
			return logReadErr(d.object, fmt.Sprintf("frame %d", i), err)
		}
		final := i == d.info.Frames-1
		plain, err := d.aead.Open(sealed[crypto.NonceSize:crypto.NonceSize], sealed, logFrameAAD(uint64(i), final, d.object))
		if err != nil {
			return &CorruptionError{Object: d.object, Err: fmt.Errorf("frame %d: %w", i, err)}
		}
		want := logFrameSize
		if final {
			want = int(d.info.Size - int64(i)*logFrameSize)
		}
		out, err = decompressBlob(out, plain, want, logFrameSize)
		if err != nil {
			return corrupt(d.object, nil, "frame %d: %v", i, err)
		}
		h.Write(out)
		total += int64(len(out))
		if _, err := w.Write(out); err != nil {
			return fmt.Errorf("write %s: %w", d.object, err)
		}
	}
	var one [1]byte
	if n, _ := io.ReadFull(d.rd, one[:]); n != 0 {
		return corrupt(d.object, nil, "trailing bytes after the last frame")
	}
	var got ID
	h.Sum(got[:0])
	if got != d.info.ContentID || total != d.info.Size {
		return corrupt(d.object, nil, "content hashes to %s, header says %s", got.Short(), d.info.ContentID.Short())
	}
	return nil
}

func logReadErr(object, what string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return corrupt(object, nil, "truncated in the %s", what)
	}
	return fmt.Errorf("read %s: %w", object, err)
}

// decodeLogSegment decodes a whole stored object (tests, fuzzing).
func decodeLogSegment(keys *keySet, object string, raw []byte) (LogSegmentInfo, []byte, error) {
	d, err := openLogHeader(keys, object, bytes.NewReader(raw))
	if err != nil {
		return LogSegmentInfo{}, nil, err
	}
	var buf bytes.Buffer
	if err := d.copyTo(keys, &buf); err != nil {
		return d.info, nil, err
	}
	return d.info, buf.Bytes(), nil
}
