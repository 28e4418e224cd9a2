package s3blob

import "time"

// SetMemoryWait shortens how long uploads of s wait for upload memory.
func SetMemoryWait(s *Store, d time.Duration) { s.memoryWait = d }
