/*
 * BASELINE, not part of `npm run bench` (it needs a C compiler): how fast table-driven CRC64-ECMA
 * gets in native code on this machine, to ground BENCHMARKS.md's "Why not 5x the package".
 * WebAssembly and JavaScript run the same table lookups no faster than native code does.
 *
 *   gcc -O3 -march=native -o /tmp/crc64-native bench/baselines/crc64-native.c && /tmp/crc64-native
 *
 * Prints GiB/s of CPU time for byte-at-a-time, slicing-by-8 and slicing-by-16 over 256 MiB (best
 * of 5), and the CRC, which is the same for all three.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLY 0xC96C5795D7870F42ULL /* ECMA-182, reflected */

static uint64_t T[16][256]; /* T[k][i]: CRC of byte i followed by k zero bytes */

static void init(void) {
  for (int i = 0; i < 256; i++) {
    uint64_t c = (uint64_t)i;
    for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ POLY : c >> 1;
    T[0][i] = c;
  }
  for (int i = 0; i < 256; i++)
    for (int t = 1; t < 16; t++) T[t][i] = (T[t - 1][i] >> 8) ^ T[0][T[t - 1][i] & 0xff];
}

static uint64_t tail(uint64_t c, const uint8_t *p, size_t n) {
  while (n--) c = T[0][(c ^ *p++) & 0xff] ^ (c >> 8);
  return c;
}

static uint64_t fold8(uint64_t w, int base) {
  uint64_t r = 0;
  for (int b = 0; b < 8; b++) r ^= T[base + 7 - b][(w >> (8 * b)) & 0xff];
  return r;
}

static uint64_t crc_byte(const uint8_t *p, size_t n) { return ~tail(~0ULL, p, n); }

static uint64_t crc_slice8(const uint8_t *p, size_t n) {
  uint64_t c = ~0ULL, w;
  for (; n >= 8; p += 8, n -= 8) {
    memcpy(&w, p, 8);
    c = fold8(c ^ w, 0);
  }
  return ~tail(c, p, n);
}

static uint64_t crc_slice16(const uint8_t *p, size_t n) {
  uint64_t c = ~0ULL, w, v;
  for (; n >= 16; p += 16, n -= 16) {
    memcpy(&w, p, 8);
    memcpy(&v, p + 8, 8);
    c = fold8(c ^ w, 8) ^ fold8(v, 0);
  }
  return ~tail(c, p, n);
}

static double cpu_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void) {
  const size_t n = (size_t)256 << 20;
  uint8_t *buf = malloc(n);
  if (!buf) return 1;
  for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)rand();
  init();
  const char *names[] = {"byte-at-a-time", "slicing-by-8", "slicing-by-16"};
  uint64_t (*impl[])(const uint8_t *, size_t) = {crc_byte, crc_slice8, crc_slice16};
  for (int k = 0; k < 3; k++) {
    double best = 1e9;
    uint64_t crc = 0;
    for (int rep = 0; rep < 5; rep++) {
      double t = cpu_seconds();
      crc = impl[k](buf, n);
      t = cpu_seconds() - t;
      if (t < best) best = t;
    }
    printf("%-15s %5.2f GiB/s  crc64 %016llx\n", names[k], (double)n / best / (1 << 30), (unsigned long long)crc);
  }
  free(buf);
  return 0;
}
