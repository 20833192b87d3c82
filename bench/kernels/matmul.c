// Dense matrix multiply (double), N=384, repeated: floating point and memory access patterns.
#include <stdio.h>
#include <stdlib.h>
#include "bench.h"
#define N 512
static double a[N][N], b[N][N], c[N][N];
static unsigned long long kernel(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) { a[i][j] = (i * 7 + j * 3) % 17 * 0.5; b[i][j] = (i * 5 + j * 11) % 13 * 0.25; }
  for (int r = 0; r < 2; r++)
    for (int i = 0; i < N; i++)
      for (int k = 0; k < N; k++) {
        double x = a[i][k];
        for (int j = 0; j < N; j++) c[i][j] += x * b[k][j];
      }
  double s = 0;
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) s += c[i][j];
  return (unsigned long long)s;
}
