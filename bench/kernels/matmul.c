// Dense matrix multiply (double), N=384, repeated: floating point and memory access patterns.
#include <stdio.h>
#include <stdlib.h>
#define N 384
static double a[N][N], b[N][N], c[N][N];
int main(void) {
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) { a[i][j] = (i * 7 + j * 3) % 17 * 0.5; b[i][j] = (i * 5 + j * 11) % 13 * 0.25; }
  for (int r = 0; r < 3; r++)
    for (int i = 0; i < N; i++)
      for (int k = 0; k < N; k++) {
        double x = a[i][k];
        for (int j = 0; j < N; j++) c[i][j] += x * b[k][j];
      }
  double s = 0;
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) s += c[i][j];
  printf("%.1f\n", s);
  return 0;
}
