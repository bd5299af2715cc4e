// Package filestest helps the tests of what trusts a file's metadata (the
// stat cache, stamps): such a file is trusted only once the file system's
// clock has moved past its last change, and a test that means "a user runs
// the next command a moment later" has to wait for that moment. LastChange
// and LastChangeUnder find the time to wait past; WaitClock waits.
package filestest
