/* walk_cbor: the plain C baseline. Walks every data item of one CBOR file and counts
 * them, doing what any real parser must: bounds checks, all argument widths, definite
 * and indefinite containers, tags, indefinite strings (chunks must be definite
 * strings of the same type), string payloads skipped, exactly one item per file.
 * No allocation, no recursion. One switch on the initial byte, so each head costs a
 * single indirect jump; the innermost container's count stays in a register.
 *
 *   walk_cbor FILE        prints: walk items=N ns=T
 *
 * items counts every head except breaks (0xff), like libcbor_stream; ns times the
 * walk alone, over a mapping pre-faulted with MAP_POPULATE. Needs gcc/clang (case
 * ranges). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAXDEPTH 4096
#define INDEF UINT64_MAX
#define NEED(n) if ((size_t)(end - p) < (n)) goto bad
#define BE16(p) ((uint64_t)(p)[0] << 8 | (p)[1])
static uint64_t be32(const uint8_t *p) { uint32_t x; memcpy(&x, p, 4); return __builtin_bswap32(x); }
static uint64_t be64(const uint8_t *p) { uint64_t x; memcpy(&x, p, 8); return __builtin_bswap64(x); }

/* Returns the item count, or -1 with *err set to the offending offset. */
static int64_t walk(const uint8_t *buf, size_t len, size_t *err) {
    uint64_t left[MAXDEPTH]; /* saved counts of the enclosing containers */
    uint8_t kind[MAXDEPTH];
    uint64_t cur = 1;        /* items still due in the innermost container (or INDEF) */
    uint8_t curk = 0;        /* its kind: 0 array/map/root, 2/3 indefinite byte/text string */
    int depth = 0, tagged = 0;
    const uint8_t *p = buf, *end = buf + len, *at;
    int64_t items = 0;
    uint64_t v;
    for (;;) {
        at = p;
        if (p >= end) goto bad;
        uint8_t ib = *p++;
        if (__builtin_expect(curk != 0, 0) && ib != 0xff && ((ib >> 5) != curk || (ib & 31) == 31))
            goto bad; /* a chunk that is not a definite string of the same type */
        items++;
        switch (ib) {
        case 0x00 ... 0x17: case 0x20 ... 0x37: case 0xe0 ... 0xf7: goto done;
        case 0x18: case 0x38: NEED(1); p += 1; goto done;
        case 0xf8: NEED(1); if (*p++ < 32) goto bad; goto done; /* simple 0..31 take one byte */
        case 0x19: case 0x39: case 0xf9: NEED(2); p += 2; goto done;
        case 0x1a: case 0x3a: case 0xfa: NEED(4); p += 4; goto done;
        case 0x1b: case 0x3b: case 0xfb: NEED(8); p += 8; goto done;
        case 0x40 ... 0x57: case 0x60 ... 0x77: v = ib & 31; goto skip;
        case 0x58: case 0x78: NEED(1); v = *p; p += 1; goto skip;
        case 0x59: case 0x79: NEED(2); v = BE16(p); p += 2; goto skip;
        case 0x5a: case 0x7a: NEED(4); v = be32(p); p += 4; goto skip;
        case 0x5b: case 0x7b: NEED(8); v = be64(p); p += 8; goto skip;
        case 0x5f: case 0x7f: case 0x9f: case 0xbf: v = INDEF; goto push;
        case 0x80 ... 0x97: v = ib & 31; goto open;
        case 0xa0 ... 0xb7: v = (uint64_t)(ib & 31) << 1; goto open;
        case 0x98: case 0xb8: NEED(1); v = *p; p += 1; goto count;
        case 0x99: case 0xb9: NEED(2); v = BE16(p); p += 2; goto count;
        case 0x9a: case 0xba: NEED(4); v = be32(p); p += 4; goto count;
        case 0x9b: case 0xbb: NEED(8); v = be64(p); p += 8; goto count;
        case 0xc0 ... 0xd7: tagged = 1; continue; /* a tag and its item fill one slot */
        case 0xd8: NEED(1); p += 1; tagged = 1; continue;
        case 0xd9: NEED(2); p += 2; tagged = 1; continue;
        case 0xda: NEED(4); p += 4; tagged = 1; continue;
        case 0xdb: NEED(8); p += 8; tagged = 1; continue;
        case 0xff: /* break: closes the innermost indefinite item */
            items--;
            if (cur != INDEF || tagged || depth == 0) goto bad;
            depth--; cur = left[depth]; curk = kind[depth];
            goto done;
        default: goto bad; /* reserved additional info, indefinite int/tag */
        }
    skip:
        if (v > (uint64_t)(end - p)) goto bad;
        p += v;
        goto done;
    count:
        if (v > (uint64_t)(end - p)) goto bad; /* every item takes at least a byte */
        if (ib >= 0xa0) v <<= 1;
    open:
        if (v == 0) goto done;
    push:
        if (depth == MAXDEPTH) goto bad;
        left[depth] = cur; kind[depth++] = curk;
        cur = v; curk = v == INDEF && ib < 0x80 ? ib >> 5 : 0;
        tagged = 0;
        continue;
    done: /* one item complete: close every container it completes */
        tagged = 0;
        while (cur != INDEF && --cur == 0) {
            if (depth == 0) goto finished;
            depth--; cur = left[depth]; curk = kind[depth];
        }
    }
finished:
    if (p != end) { at = p; goto bad; } /* one data item per file */
    return items;
bad:
    *err = (size_t)(at - buf);
    return -1;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: walk_cbor FILE\n"); return 2; }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) { perror(argv[1]); return 1; }
    size_t len = (size_t)st.st_size;
    const uint8_t *buf = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0)
                             : (const uint8_t *)"";
    if (buf == MAP_FAILED) { perror("mmap"); return 1; }
    struct timespec t0, t1;
    size_t err = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int64_t items = walk(buf, len, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (items < 0) { fprintf(stderr, "walk: invalid CBOR at offset %zu\n", err); return 1; }
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("walk items=%lld ns=%lld\n", (long long)items, ns);
    return 0;
}
