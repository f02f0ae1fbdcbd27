// Package retry wraps a storage.Backend and retries transient failures with
// exponential backoff and jitter. Errors for which storage.IsPermanent is
// true (permission denied, object locked, not found, a cancelled context)
// are returned at once, as is any error once the caller's context is done.
//
// Save can only be retried when its reader can be read again: an io.Seeker
// is rewound to where it stood when Save was called (the repository saves
// packs from a *bytes.Reader, which takes this path); an io.ReaderAt with a
// known size is read from offset 0; any other reader is buffered in memory
// up to Options.BufferLimit bytes. A larger stream is attempted exactly once.
//
// Open retries the call and also resumes the returned stream: a transient
// read error reopens the object at the next unread offset. List retries
// skip objects the callback has already seen, so fn sees each name once.
// Every retry is logged with slog (operation, object name, attempt, delay,
// error); errors from drivers never contain credentials, so neither do the
// logs.
//
// Put retry outermost, so every attempt takes its own concurrency slot and
// is counted: retry.New(limit.New(metricsSet.Wrap(driver, "s3"), ...), ...).
package retry
