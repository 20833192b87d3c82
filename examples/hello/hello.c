// The sample workload: greets, shows what the keep gave it (args, environment, files), and
// exits with a status of its choosing. Build: examples/build.sh
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
  printf("Hello from inside a keep!\n");
  for (int i = 1; i < argc; i++) printf("arg[%d] = %s\n", i, argv[i]);
  for (char **e = environ; *e; e++) printf("env %s\n", *e);
  const char *names = getenv("FD_NAMES");
  if (names) printf("pre-opened descriptors: %s\n", names);
  const char *status = getenv("EXIT_STATUS");
  return status ? atoi(status) : 0;
}
