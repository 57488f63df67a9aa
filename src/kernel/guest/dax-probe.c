/*
 * nd-infoblock DAX probe: a small static program the kernel harness puts in
 * the guest's initramfs (built by scripts/kernel/setup.sh, or by the harness on first use of
 * `infoblock kernel-check --dax`, with `cc -static -O2`).
 *
 * It answers one question per namespace: does a DAX mapping show the bytes
 * that read(2) shows? Results go to stdout as one record a line, every line
 * starting with "ndib-dax " and made of key=value words (src/kernel/dax.ts
 * parses them):
 *
 *   dax-probe detect DEV                 print ext4, xfs or none (superblock magic)
 *   dax-probe fs NAME MOUNTPOINT [write] every regular file: read(2) against a
 *                                        shared read-only mmap, page by page
 *   dax-probe devdax NAME DEV            mmap the whole character device, digest it
 *
 * Records:
 *   file  dev= path= size= dax=1|0|? pages= differ= [truncated=1]
 *   page  dev= path= index= phys=0x..|- read=DIGEST mmap=DIGEST   (the first PAGE_FIRST differing
 *         pages, then those at every (pages / PAGE_SPREAD)-th index)
 *   write dev= path= index= phys=0x..|- marker=HEX readback=marker|other|error
 *   devdax dev= size= chunk= chunks=
 *   chunk dev= index= digest=      (one per 2 MiB of the device)
 *   dpage dev= index= digest=      (the first DPAGES pages of the device)
 *   error dev= what= errno=
 *
 * DIGEST: 16 hex digits over the bytes of a page (4096) or a chunk (2 MiB)
 * read as little-endian u32 words w[i]: a = 0x811c9dc5, b = 0x9747b28c; for each word
 * a = (a ^ w) * 0x01000193, b = rotl32(b + w, 13) * 0x5bd1e995 (mod 2^32);
 * digest = a then b, 8 hex digits each. "z" when every byte is zero.
 *
 * Paths are printed with every byte outside [A-Za-z0-9._/-] as %XX.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif

#define PAGE 4096
#define PAGE_FIRST 16     /* differing pages reported per file: the first ones, */
#define PAGE_SPREAD 32    /* then about this many more spread over the file */
#define MAX_FILES 64      /* files probed per filesystem */
#define MAX_PAGES 65536   /* pages compared per filesystem (256 MiB) */
#define WRITE_FILES 4     /* files written through (write mode) */
#define CHUNK (2u << 20)  /* devdax digest chunk */
#define DPAGES 64

static const char *dev_name = "?";
static size_t mount_len; /* paths are printed relative to the mount point */
static long pages_left = MAX_PAGES;
static int files_seen;

static void digest_n(const unsigned char *p, size_t bytes, char out[17]) {
  uint32_t a = 0x811c9dc5u, b = 0x9747b28cu;
  int zero = 1;
  for (size_t i = 0; i < bytes / 4; i++) {
    uint32_t w = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                 (uint32_t)p[4 * i + 3] << 24;
    if (w != 0) zero = 0;
    a = (a ^ w) * 0x01000193u;
    b += w;
    b = (b << 13 | b >> 19) * 0x5bd1e995u;
  }
  if (zero) strcpy(out, "z");
  else snprintf(out, 17, "%08x%08x", a, b);
}

static void digest(const unsigned char *p, char out[17]) { digest_n(p, PAGE, out); }

static void print_path(const char *path) {
  if (strlen(path) >= mount_len) path += mount_len;
  for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
    if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
        *s == '_' || *s == '/' || *s == '-')
      putchar(*s);
    else
      printf("%%%02X", *s);
  }
}

static void error_line(const char *what, const char *path) {
  printf("ndib-dax error dev=%s what=%s errno=%d path=", dev_name, what, errno);
  print_path(path);
  putchar('\n');
  fflush(stdout);
}

/* The device offset of every page of the file (-1 where unknown), from FIEMAP. */
static int64_t *physical_pages(int fd, long pages) {
  int64_t *phys = malloc(sizeof(int64_t) * (size_t)(pages > 0 ? pages : 1));
  if (phys == NULL) return NULL;
  for (long i = 0; i < pages; i++) phys[i] = -1;
  size_t n = 512;
  struct fiemap *fm = calloc(1, sizeof(*fm) + n * sizeof(struct fiemap_extent));
  if (fm == NULL) return phys;
  uint64_t start = 0, end = (uint64_t)pages * PAGE;
  while (start < end) {
    memset(fm, 0, sizeof(*fm));
    fm->fm_start = start;
    fm->fm_length = end - start;
    fm->fm_flags = FIEMAP_FLAG_SYNC;
    fm->fm_extent_count = (uint32_t)n;
    if (ioctl(fd, FS_IOC_FIEMAP, fm) != 0 || fm->fm_mapped_extents == 0) break;
    uint64_t next = end;
    for (uint32_t e = 0; e < fm->fm_mapped_extents; e++) {
      struct fiemap_extent *x = &fm->fm_extents[e];
      int usable = !(x->fe_flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_ENCODED |
                                    FIEMAP_EXTENT_DATA_INLINE | FIEMAP_EXTENT_NOT_ALIGNED));
      for (uint64_t off = x->fe_logical; usable && off < x->fe_logical + x->fe_length; off += PAGE) {
        uint64_t idx = off / PAGE;
        if (off % PAGE == 0 && idx < (uint64_t)pages) phys[idx] = (int64_t)(x->fe_physical + (off - x->fe_logical));
      }
      next = x->fe_logical + x->fe_length;
      if (x->fe_flags & FIEMAP_EXTENT_LAST) next = end;
    }
    if (next <= start) break;
    start = next;
  }
  free(fm);
  return phys;
}

static void print_phys(int64_t p) {
  if (p < 0) printf("-");
  else printf("0x%llx", (unsigned long long)p);
}

static void probe_file(const char *path, int write_mode) {
  if (files_seen >= MAX_FILES || pages_left <= 0) return;
  files_seen++;
  int fd = open(path, write_mode ? O_RDWR : O_RDONLY);
  if (fd < 0) {
    error_line("open", path);
    return;
  }
  struct statx stx;
  const char *dax = "?";
  if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) == 0 && (stx.stx_attributes_mask & STATX_ATTR_DAX))
    dax = (stx.stx_attributes & STATX_ATTR_DAX) ? "1" : "0";
  struct stat st;
  if (fstat(fd, &st) != 0) {
    error_line("stat", path);
    close(fd);
    return;
  }
  long pages = (long)(st.st_size / PAGE);
  int truncated = 0;
  if (pages > pages_left) {
    pages = pages_left;
    truncated = 1;
  }
  pages_left -= pages;
  int64_t *phys = physical_pages(fd, pages);
  unsigned char *map = NULL;
  if (pages > 0) {
    map = mmap(NULL, (size_t)pages * PAGE, write_mode ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
      error_line("mmap", path);
      close(fd);
      free(phys);
      return;
    }
  }
  static unsigned char buf[PAGE];
  long differ = 0;
  long stride = pages / PAGE_SPREAD > 0 ? pages / PAGE_SPREAD : 1;
  char rd[17], md[17];
  for (long i = 0; i < pages; i++) {
    if (pread(fd, buf, PAGE, (off_t)i * PAGE) != PAGE) {
      error_line("read", path);
      break;
    }
    if (memcmp(buf, map + (size_t)i * PAGE, PAGE) != 0) {
      if (differ < PAGE_FIRST || i % stride == 0) {
        digest(buf, rd);
        digest(map + (size_t)i * PAGE, md);
        printf("ndib-dax page dev=%s path=", dev_name);
        print_path(path);
        printf(" index=%ld phys=", i);
        print_phys(phys == NULL ? -1 : phys[i]);
        printf(" read=%s mmap=%s\n", rd, md);
      }
      differ++;
    }
  }
  printf("ndib-dax file dev=%s path=", dev_name);
  print_path(path);
  printf(" size=%lld dax=%s pages=%ld differ=%ld%s\n", (long long)st.st_size, dax, pages, differ,
         truncated ? " truncated=1" : "");
  fflush(stdout);
  if (write_mode && pages > 0 && files_seen <= WRITE_FILES) {
    /* A marker no filesystem holds by chance: where it lands in the image tells the host the shift. */
    char marker[64];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    int len = snprintf(marker, sizeof marker, "NDIB-DAX-MARK-%s-%d-%08lx%06lx", dev_name, files_seen,
                       (unsigned long)tv.tv_sec, (unsigned long)tv.tv_usec);
    memcpy(map, marker, (size_t)len);
    const char *readback = "error";
    if (msync(map, PAGE, MS_SYNC) == 0 && pread(fd, buf, PAGE, 0) == PAGE)
      readback = memcmp(buf, marker, (size_t)len) == 0 ? "marker" : "other";
    printf("ndib-dax write dev=%s path=", dev_name);
    print_path(path);
    printf(" index=0 phys=");
    print_phys(phys == NULL ? -1 : phys[0]);
    printf(" marker=");
    for (int k = 0; k < len; k++) printf("%02x", (unsigned char)marker[k]);
    printf(" readback=%s\n", readback);
    fflush(stdout);
  }
  if (map != NULL) munmap(map, (size_t)pages * PAGE);
  free(phys);
  close(fd);
}

static void walk(const char *dir, int write_mode) {
  DIR *d = opendir(dir);
  if (d == NULL) {
    error_line("opendir", dir);
    return;
  }
  struct dirent **names;
  int n = scandir(dir, &names, NULL, alphasort);
  closedir(d);
  if (n < 0) return;
  for (int i = 0; i < n; i++) {
    const char *nm = names[i]->d_name;
    if (strcmp(nm, ".") != 0 && strcmp(nm, "..") != 0 && strcmp(nm, "lost+found") != 0) {
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", dir, nm);
      struct stat st;
      if (lstat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) walk(path, write_mode);
        else if (S_ISREG(st.st_mode)) probe_file(path, write_mode);
      }
    }
    free(names[i]);
  }
  free(names);
}

static int detect(const char *devpath) {
  unsigned char sb[2048];
  int fd = open(devpath, O_RDONLY);
  if (fd < 0 || pread(fd, sb, sizeof sb, 0) != (ssize_t)sizeof sb) {
    puts("none");
    return 0;
  }
  close(fd);
  if (memcmp(sb, "XFSB", 4) == 0) puts("xfs");
  else if (sb[1024 + 56] == 0x53 && sb[1024 + 57] == 0xef) puts("ext4");
  else puts("none");
  return 0;
}

static int devdax(const char *devpath) {
  int fd = open(devpath, O_RDONLY);
  if (fd < 0) {
    error_line("open", devpath);
    return 0;
  }
  char attr[256];
  snprintf(attr, sizeof attr, "/sys/bus/dax/devices/%s/size", dev_name);
  unsigned long long size = 0;
  FILE *f = fopen(attr, "r");
  if (f != NULL) {
    if (fscanf(f, "%llu", &size) != 1) size = 0;
    fclose(f);
  }
  unsigned long long chunks = size / CHUNK;
  printf("ndib-dax devdax dev=%s size=%llu chunk=%u chunks=%llu\n", dev_name, size, CHUNK, chunks);
  fflush(stdout);
  if (chunks == 0) return 0;
  unsigned char *map = mmap(NULL, (size_t)(chunks * CHUNK), PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    error_line("mmap", devpath);
    return 0;
  }
  char dg[17];
  for (unsigned long long i = 0; i < (unsigned long long)DPAGES && i * PAGE < chunks * CHUNK; i++) {
    digest(map + i * PAGE, dg);
    printf("ndib-dax dpage dev=%s index=%llu digest=%s\n", dev_name, i, dg);
  }
  for (unsigned long long c = 0; c < chunks; c++) {
    digest_n(map + c * CHUNK, CHUNK, dg);
    printf("ndib-dax chunk dev=%s index=%llu digest=%s\n", dev_name, c, dg);
  }
  fflush(stdout);
  munmap(map, (size_t)(chunks * CHUNK));
  close(fd);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc >= 3 && strcmp(argv[1], "detect") == 0) return detect(argv[2]);
  if (argc >= 4 && strcmp(argv[1], "fs") == 0) {
    dev_name = argv[2];
    char mnt[1024];
    snprintf(mnt, sizeof mnt, "%s", argv[3]);
    size_t l = strlen(mnt);
    while (l > 1 && mnt[l - 1] == '/') mnt[--l] = 0;
    mount_len = l;
    walk(mnt, argc >= 5 && strcmp(argv[4], "write") == 0);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "devdax") == 0) {
    dev_name = argv[2];
    return devdax(argv[3]);
  }
  fprintf(stderr, "usage: dax-probe detect DEV | fs NAME MOUNTPOINT [write] | devdax NAME DEV\n");
  return 2;
}
