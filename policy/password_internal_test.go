package policy

import (
	"testing"
	"time"
)

// TestPasswordChecksQueue takes every argon2id slot and checks that a
// password check waits for one, then completes with the right answer.
func TestPasswordChecksQueue(t *testing.T) {
	hash, err := HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	for range cap(argonSlots) {
		argonSlots <- struct{}{}
	}
	drained := false
	defer func() {
		if !drained {
			for range cap(argonSlots) {
				<-argonSlots
			}
		}
	}()

	result := make(chan bool, 1)
	go func() { result <- CheckPassword(hash, "correct horse") }()
	select {
	case <-result:
		t.Fatal("a password check ran while every slot was taken")
	case <-time.After(200 * time.Millisecond):
	}

	for range cap(argonSlots) {
		<-argonSlots
	}
	drained = true
	select {
	case ok := <-result:
		if !ok {
			t.Error("the right password did not match once a slot was free")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the password check did not run once the slots were free")
	}
}
