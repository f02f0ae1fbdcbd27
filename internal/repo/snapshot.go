package repo

import (
	"encoding/json"
	"time"
)

// Snapshot is the manifest of one backup, written last as its commit point.
type Snapshot struct {
	Time     time.Time `json:"time"`
	Tree     ID        `json:"tree"`
	Parent   *ID       `json:"parent,omitempty"`
	Paths    []string  `json:"paths"`
	Hostname string    `json:"hostname,omitempty"`
	Username string    `json:"username,omitempty"`
	Tags     []string  `json:"tags,omitempty"`
	// Source names what was backed up (a registered source, or "files").
	Source string `json:"source,omitempty"`
	// Kind says how to restore it: "files", "postgres-physical", ...
	Kind     string          `json:"kind,omitempty"`
	Summary  *Summary        `json:"summary,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// Summary records what a backup did.
type Summary struct {
	Start          time.Time `json:"start"`
	End            time.Time `json:"end"`
	FilesNew       uint64    `json:"filesNew"`
	FilesChanged   uint64    `json:"filesChanged"`
	FilesUnchanged uint64    `json:"filesUnchanged"`
	DirsTotal      uint64    `json:"dirsTotal"`
	BytesRead      uint64    `json:"bytesRead"`   // plaintext bytes read from the source
	BytesTotal     uint64    `json:"bytesTotal"`  // plaintext size of the snapshot
	BytesAdded     uint64    `json:"bytesAdded"`  // plaintext bytes of new blobs
	BytesStored    uint64    `json:"bytesStored"` // bytes uploaded for new blobs (compressed+encrypted)
	BlobsNew       uint64    `json:"blobsNew"`
}
