/* The smallest natural program: libc stdio to stdout. */
#include <stdio.h>

int main(void) {
  puts("Hello, world!");
  return 0;
}
