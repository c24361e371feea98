// Prints what Go's time package reads through the vDSO: "realtime" (time.Now,
// nanoseconds since the epoch) and "monotonic" (nanoseconds measured across a
// short sleep).  Run under forbid_clock_syscalls: each must come from the vDSO.
package main

import (
	"fmt"
	"time"
)

func main() {
	start := time.Now()
	time.Sleep(10 * time.Millisecond)
	elapsed := time.Since(start)
	fmt.Printf("realtime %d\n", time.Now().UnixNano())
	fmt.Printf("monotonic %d\n", elapsed.Nanoseconds())
}
