// Package local stores repository objects as files under one directory.
//
// An object named "data/ab/abcd" lives at <dir>/data/ab/abcd. Save writes to
// a temporary file (named with TempPrefix) in the object's own directory,
// fsyncs it, makes it read-only (0400), renames it over the final name and
// fsyncs the directory, so a crash never leaves a partial object under its
// final name. List ignores temporary files; CleanTemp removes the ones an
// interrupted process left behind. Names are checked with storage.ValidName
// plus a ban on components that start with TempPrefix, so no name escapes
// the directory or collides with a temporary file.
//
// Errors are classified for the retry layer: missing objects with
// storage.NotExist; permission problems, a read-only file system and a full
// disk ("no space left on device", naming the object) with
// storage.Permanent.
package local
