/*
 * The kernel half of KernelConformanceTest: reads address-space operations from stdin, one a
 * line ("<op> <addr> <len> <prot> <len2> <addr2>", numbers in hex; op m = mmap MAP_FIXED,
 * n = MAP_FIXED_NOREPLACE, h = hint, u = munmap, p = mprotect, t = write one byte at addr (a
 * SIGSEGV is caught and reported as -EFAULT), r = mremap(addr, len, len2, flags = prot, addr2)),
 * performs each on private
 * anonymous memory inside a window reserved at WINDOW (guard pages on both sides), and prints
 * after each: "R <hex address or 0>" or "R -<errno>", then one "V <start> <end> <perms> <ac>" line
 * per VMA inside the window (clipped to it) from /proc/self/smaps, then "E".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static char buf[1 << 20];
static sigjmp_buf segv_jmp;

static void on_segv(int sig) {
  (void)sig;
  siglongjmp(segv_jmp, 1);
}

/* Writes one byte at addr: 0, or -EFAULT where the kernel sent SIGSEGV. */
static long touch(unsigned long addr) {
  if (sigsetjmp(segv_jmp, 1)) return -EFAULT;
  *(volatile char *)addr = 1;
  return 0;
}

static void dump(unsigned long lo, unsigned long hi) {
  int fd = open("/proc/self/smaps", O_RDONLY);
  size_t n = 0;
  ssize_t r;
  while (fd >= 0 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0) n += (size_t)r;
  if (fd >= 0) close(fd);
  buf[n] = 0;
  unsigned long s = 0, e = 0;
  char perms[8] = "";
  int in = 0;
  for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
    unsigned long a, b;
    char p[8];
    if (sscanf(line, "%lx-%lx %7s", &a, &b, p) == 3 && strchr(line, '-') < strchr(line, ' ')) {
      in = a < hi && b > lo;
      s = a < lo ? lo : a;
      e = b > hi ? hi : b;
      strcpy(perms, p);
    } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
      printf("V %lx %lx %s %d\n", s, e, perms, strstr(line, " ac") != NULL);
      in = 0;
    }
  }
  printf("E\n");
}

int main(int argc, char **argv) {
  unsigned long window = strtoul(argv[1], NULL, 16), size = strtoul(argv[2], NULL, 16);
  long page = sysconf(_SC_PAGESIZE);
  printf("W %lx %lx\n", window, size);
  void *g = mmap((void *)(window - page), size + 2 * page, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
  if (g == MAP_FAILED || (unsigned long)g != window - page) {
    printf("F window %d\n", errno);
    return 1;
  }
  munmap((void *)window, size);
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_segv;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  char op;
  unsigned long addr, len, len2, addr2;
  int prot;
  while (scanf(" %c %lx %lx %x %lx %lx", &op, &addr, &len, &prot, &len2, &addr2) == 6) {
    long ret;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    void *p;
    switch (op) {
      case 'm':
      case 'n':
      case 'h':
        flags |= op == 'm' ? MAP_FIXED : op == 'n' ? MAP_FIXED_NOREPLACE : 0;
        p = mmap((void *)addr, len, prot, flags, -1, 0);
        ret = p == MAP_FAILED ? -errno : (long)p;
        if (p != MAP_FAILED && ((unsigned long)p < window || (unsigned long)p >= window + size)) {
          munmap(p, len); /* placed outside the window: reported, then removed */
        }
        break;
      case 'u':
        ret = munmap((void *)addr, len) ? -errno : 0;
        break;
      case 't':
        ret = touch(addr);
        break;
      case 'r':
        p = mremap((void *)addr, len, len2, prot, (void *)addr2);
        ret = p == MAP_FAILED ? -errno : (long)p;
        if (p != MAP_FAILED && ((unsigned long)p < window || (unsigned long)p >= window + size)) {
          munmap(p, len2); /* moved outside the window: reported, then removed */
        }
        break;
      default:
        ret = mprotect((void *)addr, len, prot) ? -errno : 0;
    }
    if (ret < 0) printf("R -%ld\n", -ret);
    else printf("R %lx\n", ret);
    dump(window, window + size);
  }
  return 0;
}
