package repo

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"sync"

	"github.com/cofferhq/coffer/internal/crypto"
	"github.com/zeebo/blake3"
)

// HKDF info strings for the sub-keys of the master key (docs/FORMAT.md,
// "Key hierarchy"). Changing any of them changes the format.
const (
	infoChunkID   = "coffer v1 chunk id"
	infoChunker   = "coffer v1 chunker secret"
	infoMetadata  = "coffer v1 metadata encryption"
	infoConfigMAC = "coffer v1 config mac"
	infoSlotMAC   = "coffer v1 key slot mac"
	infoDataRoot  = "coffer v1 data root epoch " // + decimal epoch
	infoPackKey   = "coffer v1 pack key"
)

// keySet holds the master key and everything derived from it.
type keySet struct {
	master    crypto.Key
	chunkID   crypto.Key
	chunker   crypto.Key
	metadata  *crypto.AEAD // index and snapshot objects
	configMAC crypto.Key
	slotMAC   crypto.Key
	dataRoot  crypto.Key // epoch 0
	hashers   sync.Pool  // *blake3.Hasher keyed with chunkID
}

func newKeySet(master crypto.Key) *keySet {
	k := &keySet{
		master:    master,
		chunkID:   crypto.Derive(master[:], nil, infoChunkID),
		chunker:   crypto.Derive(master[:], nil, infoChunker),
		metadata:  crypto.NewAEAD(crypto.Derive(master[:], nil, infoMetadata)),
		configMAC: crypto.Derive(master[:], nil, infoConfigMAC),
		slotMAC:   crypto.Derive(master[:], nil, infoSlotMAC),
		dataRoot:  crypto.Derive(master[:], nil, infoDataRoot+"0"),
	}
	k.hashers.New = func() any {
		h, err := blake3.NewKeyed(k.chunkID[:])
		if err != nil {
			panic(fmt.Sprintf("blake3 keyed: %v", err)) // key size is fixed at 32
		}
		return h
	}
	return k
}

// blobID is the keyed BLAKE3-256 of plaintext: the ID of chunks and trees.
func (k *keySet) blobID(plaintext []byte) ID {
	h := k.hashers.Get().(*blake3.Hasher)
	h.Reset()
	h.Write(plaintext)
	var id ID
	h.Sum(id[:0])
	k.hashers.Put(h)
	return id
}

// packAEAD returns the AEAD for one pack: HKDF(data root of epoch, salt =
// pack ID, info "coffer v1 pack key").
func (k *keySet) packAEAD(epoch uint32, pack ID) (*crypto.AEAD, error) {
	if epoch != 0 {
		return nil, fmt.Errorf("key epoch %d is not supported by this coffer (only epoch 0); upgrade coffer", epoch)
	}
	return crypto.NewAEAD(crypto.Derive(k.dataRoot[:], pack[:], infoPackKey)), nil
}

func mac(key crypto.Key, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key[:])
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}
