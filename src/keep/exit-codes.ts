/** Exit statuses of a keep process besides the workload's own exit code. */
export const EXIT_TRAP = 134;
export const EXIT_TIMEOUT = 124;
export const EXIT_ERROR = 1;
