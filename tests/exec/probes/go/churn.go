package main

// go_probe churn OUT ROUNDS GOROUTINES CALLS
//
// ROUNDS times: GOROUTINES goroutines each lock themselves to their OS thread
// and make CALLS crypto/rand.Read calls of 16..271 bytes, then return
// without unlocking, so the runtime ends their threads: Ms come and go, and
// the runtime hands a dead M's getrandom state to the next.  The first 16
// bytes of every result are appended to OUT.  stdout: "calls=N states=S
// rounds=R", S being the process's OS threads at the end.

import (
	"crypto/rand"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
)

func churnMode(args []string) {
	if len(args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: go_probe churn OUT ROUNDS GOROUTINES CALLS")
		os.Exit(2)
	}
	out, err := os.OpenFile(args[0], os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_TRUNC, 0o644)
	rounds, err2 := strconv.Atoi(args[1])
	goroutines, err3 := strconv.Atoi(args[2])
	calls, err4 := strconv.Atoi(args[3])
	if err != nil || err2 != nil || err3 != nil || err4 != nil || rounds < 1 || goroutines < 1 || calls < 1 {
		fmt.Fprintln(os.Stderr, "go_probe: bad arguments", err)
		os.Exit(2)
	}
	var mutex sync.Mutex
	failure := false
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		for g := 0; g < goroutines; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				// Never unlocked: the thread ends with the goroutine.
				runtime.LockOSThread()
				x := uint64(0x9e3779b97f4a7c15) * uint64(round*goroutines+g+1)
				buffer := make([]byte, 271)
				samples := make([]byte, 0, 16*calls)
				for i := 0; i < calls; i++ {
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
					n := 16 + int(x%256)
					if _, err := rand.Read(buffer[:n]); err != nil {
						mutex.Lock()
						failure = true
						mutex.Unlock()
						return
					}
					samples = append(samples, buffer[:16]...)
				}
				if _, err := out.Write(samples); err != nil {
					mutex.Lock()
					failure = true
					mutex.Unlock()
				}
			}(g)
		}
		wg.Wait()
	}
	fmt.Printf("calls=%d states=%d rounds=%d\n", rounds*goroutines*calls, threads(), rounds)
	if failure {
		os.Exit(3)
	}
}
