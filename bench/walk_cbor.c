/* walk_cbor: the plain C baseline. Walks every data item of one CBOR file and counts
 * them, doing what any real parser must: bounds checks, argument decoding, definite
 * and indefinite containers, tags, indefinite strings (chunks must be definite
 * strings of the same type), string payloads skipped. No allocation, no recursion.
 *
 *   walk_cbor FILE        prints: walk items=N ns=T
 *
 * items counts every head except breaks (0xff), like libcbor_stream; ns times the
 * walk alone, over a mapping pre-faulted with MAP_POPULATE. */
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

/* Returns the item count, or -1 with *err set to the offending offset. */
static int64_t walk(const uint8_t *buf, size_t len, size_t *err) {
    uint64_t left[MAXDEPTH]; /* items still due in each open container, or INDEF */
    uint8_t kind[MAXDEPTH];  /* 0: array/map, 2/3: indefinite byte/text string */
    int depth = 0, tagged = 0;
    const uint8_t *p = buf, *end = buf + len, *at;
    int64_t items = 0;
    for (;;) {
        at = p;
        if (p >= end) goto bad;
        uint8_t ib = *p++, major = ib >> 5, ai = ib & 31;
        uint64_t v = ai;
        if (ib == 0xff) { /* break: closes the innermost indefinite item */
            if (depth == 0 || left[depth - 1] != INDEF || tagged) goto bad;
            depth--;
            goto done;
        }
        if (ai >= 24) {
            if (ai < 28) {
                size_t n = (size_t)1 << (ai - 24);
                if ((size_t)(end - p) < n) goto bad;
                switch (n) {
                case 1: v = p[0]; break;
                case 2: v = (uint64_t)p[0] << 8 | p[1]; break;
                case 4: { uint32_t x; memcpy(&x, p, 4); v = __builtin_bswap32(x); break; }
                default: memcpy(&v, p, 8); v = __builtin_bswap64(v);
                }
                p += n;
            } else if (ai == 31 && major >= 2 && major <= 5) {
                v = INDEF;
            } else goto bad; /* reserved, or indefinite int/tag/simple */
        }
        if (depth && kind[depth - 1] && (major != kind[depth - 1] || v == INDEF)) goto bad;
        items++;
        tagged = major == 6;
        switch (major) {
        case 2: case 3:
            if (v == INDEF) {
                if (depth == MAXDEPTH) goto bad;
                left[depth] = INDEF; kind[depth++] = major;
                continue;
            }
            if (v > (uint64_t)(end - p)) goto bad;
            p += v;
            break;
        case 4: case 5:
            if (v != INDEF) {
                if (v > (uint64_t)(end - p)) goto bad; /* each item takes a byte */
                v <<= (major == 5);
                if (v == 0) break;
            }
            if (depth == MAXDEPTH) goto bad;
            left[depth] = v; kind[depth++] = 0;
            continue;
        case 6: continue; /* a tag and its item fill one slot of the container */
        case 7:
            if (ai == 24 && v < 32) goto bad; /* two-byte simple values below 32 */
            break;
        default: break; /* 0, 1: integers */
        }
    done: /* one item complete: close every container it completes */
        while (depth && left[depth - 1] != INDEF && --left[depth - 1] == 0) depth--;
        if (depth == 0) break;
    }
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
    const uint8_t *buf = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0) : (const uint8_t *)"";
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
