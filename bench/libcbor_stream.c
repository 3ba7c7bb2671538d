/* libcbor_stream: the libcbor baseline. Feeds the same bytes as walk_cbor to libcbor
 * 0.8's streaming decoder with no-op callbacks (cbor_empty_callbacks), one call per
 * head, until the buffer is consumed. libcbor itself tracks no nesting here, so
 * this is a lower bound for any libcbor-based reader.
 *
 *   libcbor_stream FILE   prints: libcbor_stream items=N ns=T
 *
 * items counts every decoded head except breaks (0xff), as walk_cbor does. */
#define _GNU_SOURCE
#include <cbor.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: libcbor_stream FILE\n"); return 2; }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st)) { perror(argv[1]); return 1; }
    size_t len = (size_t)st.st_size, pos = 0;
    const unsigned char *buf = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0)
                                   : (const unsigned char *)"";
    if (buf == MAP_FAILED) { perror("mmap"); return 1; }
    struct cbor_callbacks cb = cbor_empty_callbacks; /* every callback a no-op */
    long long items = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (pos < len) {
        struct cbor_decoder_result r = cbor_stream_decode(buf + pos, len - pos, &cb, NULL);
        if (r.status != CBOR_DECODER_FINISHED) {
            fprintf(stderr, "libcbor_stream: %s at offset %zu\n",
                    r.status == CBOR_DECODER_NEDATA ? "truncated item" : "invalid CBOR", pos);
            return 1;
        }
        items += buf[pos] != 0xff;
        pos += r.read;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
    printf("libcbor_stream items=%lld ns=%lld\n", items, ns);
    return 0;
}
