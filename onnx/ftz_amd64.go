//go:build cgo && amd64

package onnx

/*
#include <xmmintrin.h>
static unsigned int mien_ftz_on(void) {
	unsigned int old = _mm_getcsr();
	_mm_setcsr(old | 0x8040); // flush-to-zero and denormals-are-zero
	return old;
}
static void mien_ftz_restore(unsigned int old) { _mm_setcsr(old); }
*/
import "C"

import "runtime"

// withFTZ runs f on a locked OS thread with denormal floats flushed to zero,
// the mode ONNX Runtime's own worker threads use; without it, the thread
// that calls Run computes denormals in software-assist mode, several times
// slower on some models.
func withFTZ(f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old := C.mien_ftz_on()
	defer C.mien_ftz_restore(old)
	return f()
}
