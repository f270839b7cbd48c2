/*
 * kernel-costs.c: measures, on the running Linux kernel, the per-operation costs that
 * vmalock-sim's CostModel stands in for. No dependencies:
 *
 *   gcc -O2 -o /tmp/kc docs/kernel-costs.c && /tmp/kc
 *
 * Every figure is a median over many repetitions. Output: header lines starting with '#',
 * then one "name value unit" line per figure (see docs/kernel-costs.md for what each models).
 *
 *   fault_anon_write_per_page    anon write fault per 4 KiB page (MADV_NOHUGEPAGE, no populate)
 *   maps_per_line / maps_per_read / maps_lines_per_read / maps_read_calls / maps_lines
 *                                full read of /proc/self/maps with ~1000 extra VMAs, read(4096)
 *   mmap_munmap_pair             mmap(MAP_FIXED)+munmap of an untouched 4-page anon mapping
 *   munmap_unpopulated_N<n>      munmap of an untouched n-page mapping
 *   munmap_per_page_N<n>         (munmap populated - munmap unpopulated) / n
 *   munmap_per_page_slope_N1_32  least-squares slope of that difference over n = 1..32
 *   munmap_per_page_slope_N64_512  likewise over n = 64..512 (x86 tlb_single_page_flush_ceiling
 *                                is 33: page-by-page TLB flush below it, whole-mm flush above)
 *   mprotect_unpopulated_N<n>    one mprotect toggle of an untouched n-page mapping
 *   mprotect_per_page_N<n>       (mprotect populated - mprotect unpopulated) / n
 *   mprotect_per_page_slope_N1_32 / _N64_512  likewise for mprotect
 *   timer_overhead               back-to-back clock_gettime(CLOCK_MONOTONIC), not subtracted
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_NOHUGEPAGE
#define MADV_NOHUGEPAGE 15
#endif

static long pg;

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void header(void)
{
	struct utsname u;
	char line[512], model[256] = "unknown";
	FILE *f;

	if (uname(&u) == 0)
		printf("# kernel_release %s\n# machine %s\n", u.release, u.machine);
	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "model name", 10)) {
				char *p = strchr(line, ':');
				if (p) {
					p++;
					while (*p == ' ' || *p == '\t')
						p++;
					p[strcspn(p, "\n")] = 0;
					snprintf(model, sizeof(model), "%s", p);
				}
				break;
			}
		}
		fclose(f);
	}
	printf("# cpu_model %s\n# cpus_online %ld\n# page_size %ld\n", model,
	       sysconf(_SC_NPROCESSORS_ONLN), pg);
	f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			printf("# thp_enabled %s (fault test uses MADV_NOHUGEPAGE)\n", line);
		}
		fclose(f);
	}
	f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
	if (f) {
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			printf("# clocksource %s\n", line);
		}
		fclose(f);
	}
}

static void timer_overhead(void)
{
	enum { R = 20001 };
	static double v[R];
	for (int i = 0; i < R; i++) {
		uint64_t t0 = now_ns();
		uint64_t t1 = now_ns();
		v[i] = (double)(t1 - t0);
	}
	printf("timer_overhead %.1f ns\n", median(v, R));
}

/* Anonymous write fault: 64 MiB private anon, no MAP_POPULATE, MADV_NOHUGEPAGE, one byte a page. */
static void fault_test(void)
{
	enum { REPS = 21 };
	const size_t pages = 16384;
	const size_t len = pages * pg;
	double v[REPS];

	for (int r = 0; r < REPS; r++) {
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			die("mmap fault");
		if (madvise(p, len, MADV_NOHUGEPAGE))
			die("madvise NOHUGEPAGE");
		uint64_t t0 = now_ns();
		for (size_t i = 0; i < pages; i++)
			((volatile char *)p)[i * pg] = 1;
		uint64_t t1 = now_ns();
		v[r] = (double)(t1 - t0) / pages;
		munmap(p, len);
	}
	printf("fault_anon_write_per_page %.1f ns\n", median(v, REPS));
}

/* /proc/self/maps with ~1000 extra single-page VMAs alternating r-- / rw-, a page gap between. */
static void maps_test(void)
{
	enum { NV = 1000, REPS = 101 };
	const size_t span = (size_t)2 * NV * pg;
	double per_line[REPS], per_read[REPS], lpr[REPS], nreads[REPS], nlines[REPS];
	static char buf[4096];

	char *base = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		die("mmap maps window");
	munmap(base, span); /* a free window: the single pages below go into it, gaps between */
	for (int i = 0; i < NV; i++) {
		int prot = (i & 1) ? PROT_READ | PROT_WRITE : PROT_READ;
		void *a = mmap(base + (size_t)2 * i * pg, pg, prot,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (a == MAP_FAILED)
			die("mmap maps vma");
	}
	for (int r = 0; r < REPS; r++) {
		long lines = 0, reads = 0;
		uint64_t t0 = now_ns();
		int fd = open("/proc/self/maps", O_RDONLY);
		if (fd < 0)
			die("open maps");
		for (;;) {
			ssize_t n = read(fd, buf, sizeof(buf));
			reads++;
			if (n < 0)
				die("read maps");
			if (n == 0)
				break;
			for (ssize_t i = 0; i < n; i++)
				lines += buf[i] == '\n';
		}
		close(fd);
		uint64_t t1 = now_ns();
		double t = (double)(t1 - t0);
		long data_reads = reads - 1; /* the last read() returns 0 */
		per_line[r] = t / lines;
		per_read[r] = t / reads;
		lpr[r] = (double)lines / data_reads;
		nreads[r] = reads;
		nlines[r] = lines;
	}
	printf("maps_lines %.0f lines\n", median(nlines, REPS));
	printf("maps_read_calls %.0f calls\n", median(nreads, REPS));
	printf("maps_lines_per_read %.1f lines\n", median(lpr, REPS));
	printf("maps_per_line %.1f ns\n", median(per_line, REPS));
	printf("maps_per_read %.1f ns\n", median(per_read, REPS));
	munmap(base, span);
}

/*
 * A reserved PROT_NONE window; each test maps MAP_FIXED at its middle. The first munmap there
 * splits the reservation; afterwards the region sits in a hole between two PROT_NONE VMAs it
 * cannot merge with (different vm_flags), so each mmap/munmap is one VMA insert/remove.
 */
static char *window, *slot;
static const size_t window_pages = 4096;

static void window_init(void)
{
	size_t len = window_pages * pg;
	window = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (window == MAP_FAILED)
		die("mmap window");
	madvise(window, len, MADV_NOHUGEPAGE);
	slot = window + (window_pages / 4) * pg;
	if (munmap(slot, 1024 * pg))
		die("munmap slot");
}

static char *map_slot(size_t pages)
{
	char *p = mmap(slot, pages * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED)
		die("mmap slot");
	if (madvise(p, pages * pg, MADV_NOHUGEPAGE))
		die("madvise slot");
	return p;
}

static void touch(char *p, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		((volatile char *)p)[i * pg] = 1;
}

static void mmap_pair_test(void)
{
	enum { REPS = 20001 };
	static double v[REPS];
	for (int r = 0; r < REPS; r++) {
		uint64_t t0 = now_ns();
		char *p = mmap(slot, 4 * pg, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED)
			die("mmap pair");
		if (munmap(p, 4 * pg))
			die("munmap pair");
		uint64_t t1 = now_ns();
		v[r] = (double)(t1 - t0);
	}
	printf("mmap_munmap_pair %.1f ns\n", median(v, REPS));
}

static const size_t ns_[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 };
#define NN (sizeof(ns_) / sizeof(ns_[0]))

static double slope(const double *x, const double *y, int n)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0;
	for (int i = 0; i < n; i++) {
		sx += x[i];
		sy += y[i];
		sxx += x[i] * x[i];
		sxy += x[i] * y[i];
	}
	return (n * sxy - sx * sy) / (n * sxx - sx * sx);
}

static void munmap_test(void)
{
	enum { REPS = 401 };
	static double pop[REPS], unpop[REPS];
	double xs[NN], diff[NN];

	for (size_t k = 0; k < NN; k++) {
		size_t n = ns_[k];
		for (int r = 0; r < REPS; r++) {
			char *p = map_slot(n);
			touch(p, n);
			uint64_t t0 = now_ns();
			munmap(p, n * pg);
			uint64_t t1 = now_ns();
			pop[r] = (double)(t1 - t0);

			p = map_slot(n);
			t0 = now_ns();
			munmap(p, n * pg);
			t1 = now_ns();
			unpop[r] = (double)(t1 - t0);
		}
		double mp = median(pop, REPS), mu = median(unpop, REPS);
		xs[k] = (double)n;
		diff[k] = mp - mu;
		printf("munmap_unpopulated_N%zu %.1f ns\n", n, mu);
		printf("munmap_per_page_N%zu %.1f ns\n", n, (mp - mu) / n);
	}
	/* x86 flushes page by page up to tlb_single_page_flush_ceiling (33), whole mm above:
	 * one slope for each side of it (n = 1..32: first 6 sizes; n = 64..512: last 4) */
	printf("munmap_per_page_slope_N1_32 %.1f ns\n", slope(xs, diff, 6));
	printf("munmap_per_page_slope_N64_512 %.1f ns\n", slope(xs + 6, diff + 6, NN - 6));
}

static void mprotect_test(void)
{
	enum { REPS = 401 };
	static double pop[REPS], unpop[REPS];
	double xs[NN], diff[NN];

	for (size_t k = 0; k < NN; k++) {
		size_t n = ns_[k];
		/* populated: one region, toggled; each sample is one mprotect (alternating R / RW) */
		char *p = map_slot(n);
		touch(p, n);
		for (int r = 0; r < REPS; r++) {
			int prot = (r & 1) ? PROT_READ | PROT_WRITE : PROT_READ;
			uint64_t t0 = now_ns();
			if (mprotect(p, n * pg, prot))
				die("mprotect pop");
			uint64_t t1 = now_ns();
			pop[r] = (double)(t1 - t0);
		}
		munmap(p, n * pg);
		p = map_slot(n);
		for (int r = 0; r < REPS; r++) {
			int prot = (r & 1) ? PROT_READ | PROT_WRITE : PROT_READ;
			uint64_t t0 = now_ns();
			if (mprotect(p, n * pg, prot))
				die("mprotect unpop");
			uint64_t t1 = now_ns();
			unpop[r] = (double)(t1 - t0);
		}
		munmap(p, n * pg);
		double mp = median(pop, REPS), mu = median(unpop, REPS);
		xs[k] = (double)n;
		diff[k] = mp - mu;
		printf("mprotect_unpopulated_N%zu %.1f ns\n", n, mu);
		printf("mprotect_per_page_N%zu %.1f ns\n", n, (mp - mu) / n);
	}
	/* x86 flushes page by page up to tlb_single_page_flush_ceiling (33), whole mm above:
	 * one slope for each side of it (n = 1..32: first 6 sizes; n = 64..512: last 4) */
	printf("mprotect_per_page_slope_N1_32 %.1f ns\n", slope(xs, diff, 6));
	printf("mprotect_per_page_slope_N64_512 %.1f ns\n", slope(xs + 6, diff + 6, NN - 6));
}

/*
 * build_id_parse() stand-in: the CPU work of the BPF stack map's build-ID lookup on a file page
 * already in the page cache (kernel/bpf/stackmap.c -> lib/buildid.c: read the ELF header, walk
 * the program headers to PT_NOTE, find NT_GNU_BUILD_ID, copy it). Done here in user space on this
 * program's own mapped file; the kernel adds the folio lookup and kmap, so this is a lower bound.
 */
static int parse_build_id(const unsigned char *base, size_t size, unsigned char *out)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return -1;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff + (size_t)i * eh->e_phentsize);
		if (ph->p_type != PT_NOTE || ph->p_offset + ph->p_filesz > size)
			continue;
		size_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;
		while (off + sizeof(Elf64_Nhdr) <= end) {
			const Elf64_Nhdr *nh = (const Elf64_Nhdr *)(base + off);
			size_t name = off + sizeof(*nh), desc = name + ((nh->n_namesz + 3) & ~3u);
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
			    memcmp(base + name, "GNU", 4) == 0 && nh->n_descsz <= 20) {
				memcpy(out, base + desc, nh->n_descsz);
				return (int)nh->n_descsz;
			}
			off = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
	return -1;
}

static void build_id_test(void)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	if (fd < 0)
		die("open /proc/self/exe");
	size_t size = 2 * pg;
	unsigned char *base = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (base == MAP_FAILED)
		die("mmap exe");
	unsigned char id[20];
	if (parse_build_id(base, size, id) < 0) {
		printf("bpf_build_id_parse unavailable (no NT_GNU_BUILD_ID in the first pages)\n");
		munmap(base, size);
		close(fd);
		return;
	}
	enum { LOOPS = 100000, REPS = 21 };
	double v[REPS];
	volatile int sink = 0;
	for (int r = 0; r < REPS; r++) {
		uint64_t t0 = now_ns();
		for (int i = 0; i < LOOPS; i++)
			sink += parse_build_id(base, size, id);
		v[r] = (double)(now_ns() - t0) / LOOPS;
	}
	printf("bpf_build_id_parse %.1f ns\n", median(v, REPS));
	/* The kernel reads the header through the page cache (freader: filemap_get_folio + kmap):
	 * a pread of the ELF header from the cached file is that lookup and copy plus a system
	 * call, so an upper bound of it. */
	unsigned char hdr[64];
	for (int r = 0; r < REPS; r++) {
		uint64_t t0 = now_ns();
		for (int i = 0; i < LOOPS / 10; i++)
			sink += (int)pread(fd, hdr, sizeof(hdr), 0);
		v[r] = (double)(now_ns() - t0) / (LOOPS / 10);
	}
	printf("bpf_build_id_pread_header %.1f ns\n", median(v, REPS));
	munmap(base, size);
	close(fd);
}

int main(void)
{
	pg = sysconf(_SC_PAGESIZE);
	header();
	fflush(stdout);
	timer_overhead();
	fault_test();
	maps_test();
	window_init();
	mmap_pair_test();
	munmap_test();
	mprotect_test();
	build_id_test();
	return 0;
}
