/*
 * The kernel side of io.github.vmalock.mm.KernelConformanceTest (docs/conformance.md): executes a sequence of
 * address-space system calls in a private window and prints, after each one, its result and the
 * window's VMAs as /proc/self/maps shows them.
 *
 * Usage: maps-ops BASE PAGES < ops.txt
 *   Reserves [BASE - 4096, BASE + PAGES * 4096 + 4096) PROT_NONE with MAP_FIXED_NOREPLACE (one
 *   guard page each side of the window), then reads one operation per line:
 *     F addr len prot   mmap(addr, len, prot, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED)
 *     H addr len prot   mmap(addr, len, prot, MAP_PRIVATE|MAP_ANONYMOUS)        (a hint)
 *     N addr len prot   mmap(addr, len, prot, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE)
 *     U addr len        munmap(addr, len)
 *     P addr len prot   mprotect(addr, len, prot)
 *   (numbers in hex). For each it prints one line: RESULT|VMAS where RESULT is 0, A<addr hex> for
 *   an mmap inside the reserved region, OUT for an mmap placed outside it (unmapped again at
 *   once), or E<NAME> for a failure; VMAS lists "start-end perms" of every VMA meeting the
 *   reserved region, clipped to it, separated by commas.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static unsigned long lo, hi;

static const char *errname(int e) {
  static char buf[32];
  switch (e) {
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EEXIST: return "EEXIST";
    case EPERM: return "EPERM";
    case EINTR: return "EINTR";
    case EAGAIN: return "EAGAIN";
    default: snprintf(buf, sizeof buf, "%d", e); return buf;
  }
}

static void print_maps(void) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[512];
  int first = 1;
  if (!f) {
    perror("/proc/self/maps");
    exit(2);
  }
  putchar('|');
  while (fgets(line, sizeof line, f)) {
    unsigned long s, e;
    char perms[8];
    if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) != 3) continue;
    if (e <= lo || s >= hi) continue;
    if (s < lo) s = lo;
    if (e > hi) e = hi;
    printf("%s%lx-%lx %s", first ? "" : ",", s, e, perms);
    first = 0;
  }
  fclose(f);
  putchar('\n');
}

int main(int argc, char **argv) {
  char op;
  unsigned long addr, len, prot;
  char line[256];
  if (argc != 3) {
    fprintf(stderr, "usage: ops BASE PAGES < ops\n");
    return 2;
  }
  unsigned long base = strtoul(argv[1], NULL, 0);
  unsigned long pages = strtoul(argv[2], NULL, 0);
  lo = base - 4096;
  hi = base + pages * 4096 + 4096;
  void *r = mmap((void *)lo, hi - lo, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (r != (void *)lo) {
    fprintf(stderr, "cannot reserve the window at 0x%lx: %s\n", lo, strerror(errno));
    return 3;
  }
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  while (fgets(line, sizeof line, stdin)) {
    prot = 0;
    int n = sscanf(line, " %c %lx %lx %lx", &op, &addr, &len, &prot);
    if (n < 3) continue;
    long ret = 0;
    int err = 0;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS;
    switch (op) {
      case 'F': flags |= MAP_FIXED; /* fall through */
      case 'H':
      case 'N': {
        if (op == 'N') flags |= MAP_FIXED_NOREPLACE;
        void *p = mmap((void *)addr, len, (int)prot, flags, -1, 0);
        if (p == MAP_FAILED) {
          err = errno;
        } else if ((unsigned long)p >= lo && (unsigned long)p < hi) {
          printf("A%lx", (unsigned long)p);
          print_maps();
          continue;
        } else {
          munmap(p, len);
          printf("OUT");
          print_maps();
          continue;
        }
        break;
      }
      case 'U': ret = munmap((void *)addr, len); if (ret) err = errno; break;
      case 'P': ret = mprotect((void *)addr, len, (int)prot); if (ret) err = errno; break;
      default: fprintf(stderr, "bad op: %s", line); return 2;
    }
    if (err) printf("E%s", errname(err)); else printf("0");
    print_maps();
  }
  fflush(stdout);
  return 0;
}
