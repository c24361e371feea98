// go_time_calls N: reads the clock N times through each of the Go 1.24
// runtime's two time symbols on amd64, then prints "calls N":
//
//   - time.Now reads CLOCK_REALTIME and CLOCK_MONOTONIC through
//     __vdso_clock_gettime (time·now in runtime/time_linux_amd64.s), or
//     makes the clock_gettime system call twice when the symbol was not
//     bound;
//   - syscall.Gettimeofday calls __vdso_gettimeofday (the runtime's
//     vdsoGettimeofdaySym, used by the syscall package only), or makes the
//     gettimeofday system call.
//
// It prints "started" on entering main and "<function> done" after each
// function's N calls, so a run that dies shows where.  exec's per-number
// counts (--count-syscalls) tell the two symbols apart.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	calls, err := strconv.Atoi(os.Args[len(os.Args)-1])
	if len(os.Args) != 2 || err != nil || calls <= 0 {
		fmt.Fprintln(os.Stderr, "usage: go_time_calls N (N > 0)")
		os.Exit(2)
	}
	fmt.Println("started")
	var last time.Time
	for i := 0; i < calls; i++ {
		last = time.Now()
	}
	if last.IsZero() {
		fmt.Println("time.Now failed")
		os.Exit(3)
	}
	fmt.Println("time.Now done")
	for i := 0; i < calls; i++ {
		var tv syscall.Timeval
		if err := syscall.Gettimeofday(&tv); err != nil {
			fmt.Println("syscall.Gettimeofday failed:", err)
			os.Exit(3)
		}
	}
	fmt.Println("syscall.Gettimeofday done")
	fmt.Printf("calls %d\n", calls)
}
