/* kernel_crng_reseed: makes the kernel reseed its CRNG now (the
 * RNDRESEEDCRNG ioctl on /dev/urandom, CAP_SYS_ADMIN), which moves the
 * generation in the kernel's own vDSO rng data page.  Exit 0 when done, 1
 * with the reason on stderr when the kernel refused. */
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void) {
  const int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ioctl(fd, RNDRESEEDCRNG) != 0) {
    fprintf(stderr, "kernel_crng_reseed: %s\n", strerror(errno));
    return 1;
  }
  close(fd);
  return 0;
}
